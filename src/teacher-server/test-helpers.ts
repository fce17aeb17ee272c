import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { writeTinyTeacher } from "./fixture.ts";
import { startTeacherServer, type TeacherServer, type TeacherServerOptions } from "./server.ts";

/** Shared by the teacher server's tests: tiny packages in a temp dir and small fetch wrappers. */
export interface TinyServer {
  server: TeacherServer;
  root: string;
  packages: Awaited<ReturnType<typeof writeTinyTeacher>>[];
  stop(): Promise<void>;
}

/** Serves "tiny" (one member, logits output) and "ens" (three members, log-mean-probs output). */
export async function startTinyServer(
  options: Omit<TeacherServerOptions, "models"> = {},
): Promise<TinyServer> {
  const root = await mkdtemp(join(tmpdir(), "apprentice-teacher-"));
  const packages = [
    await writeTinyTeacher({ dir: join(root, "tiny"), name: "tiny" }),
    await writeTinyTeacher({ dir: join(root, "ens"), name: "ens", version: "2.1.0", members: 3, seed: 5 }),
  ];
  const server = await startTeacherServer({ port: 0, ...options, models: packages.map((p) => p.dir) });
  return {
    server,
    root,
    packages,
    stop: async () => {
      await server.close();
      await rm(root, { recursive: true, force: true });
    },
  };
}

export interface JsonReply {
  status: number;
  headers: Headers;
  body: unknown;
}

async function reply(res: Response): Promise<JsonReply> {
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: text === "" ? null : JSON.parse(text) };
}

export async function getJson(url: string, init: RequestInit = {}): Promise<JsonReply> {
  return reply(await fetch(url, init));
}

/** POSTs `body` (serialised unless it is already a string) as application/json unless told otherwise. */
export async function postJson(
  url: string,
  body: unknown,
  contentType = "application/json",
): Promise<JsonReply> {
  const headers: Record<string, string> = contentType ? { "content-type": contentType } : {};
  const payload = typeof body === "string" ? body : JSON.stringify(body);
  return reply(await fetch(url, { method: "POST", headers, body: payload }));
}

export function v2Request(texts: unknown[], extra: Record<string, unknown> = {}) {
  return { inputs: [{ name: "text", datatype: "BYTES", shape: [texts.length], data: texts }], ...extra };
}

export function chatRequest(model: string, content: string, extra: Record<string, unknown> = {}) {
  return { model, messages: [{ role: "user", content }], ...extra };
}
