import { type ChildProcess, execFile, spawn } from "node:child_process";
import { once } from "node:events";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { writeTinyTeacher } from "./fixture.ts";
import { startTeacherServer } from "./server.ts";
import { getJson, postJson, startTinyServer, v2Request } from "./test-helpers.ts";

const run = promisify(execFile);
const CLI = ["--import", "tsx", "src/teacher-server/main.ts"];

let root: string;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), "apprentice-teacher-cli-"));
  await writeTinyTeacher({ dir: join(root, "models", "tiny"), name: "tiny" });
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describe("startTeacherServer", () => {
  it("close() lets an in-flight request finish, then refuses new connections", async () => {
    const t = await startTinyServer({ latencyMs: 300 });
    const inFlight = postJson(`${t.server.url}/v2/models/tiny/infer`, v2Request(["hello"]));
    await new Promise((resolve) => setTimeout(resolve, 50));
    const closing = t.stop();
    expect((await inFlight).status).toBe(200);
    await closing;
    await expect(fetch(`${t.server.url}/v2/health/live`)).rejects.toThrow();
    await t.server.close(); // idempotent
  });

  it("serves every package under modelsRoot by default, and fails to start without any", async () => {
    const server = await startTeacherServer({ port: 0, modelsRoot: join(root, "models") });
    try {
      expect(server.models).toEqual(["tiny"]);
      expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    } finally {
      await server.close();
    }
    await expect(startTeacherServer({ port: 0, modelsRoot: join(root, "empty") })).rejects.toThrow(
      /cannot list/,
    );
    await expect(startTeacherServer({ port: 0, latencyMs: -1, modelsRoot: root })).rejects.toThrow();
  });
});

/**
 * Resolves with the first URL the child prints on stdout. Keeps reading afterwards: closing the pipe
 * would make the child's later writes fail with EPIPE.
 */
function urlOf(child: ChildProcess): Promise<string> {
  return new Promise((resolve, reject) => {
    let seen = "";
    child.stdout!.on("data", (chunk: Buffer) => {
      seen += String(chunk);
      const match = /teacher listening on (http:\/\/\S+)/.exec(seen);
      if (match) resolve(match[1]!);
    });
    child.stderr!.on("data", (chunk: Buffer) => {
      seen += String(chunk);
    });
    child.once("exit", () => reject(new Error(`the teacher exited without printing its URL:\n${seen}`)));
  });
}

describe("npm run teacher (src/teacher-server/main.ts)", () => {
  it("prints its URL, answers, and exits 0 on SIGTERM", { timeout: 30_000 }, async () => {
    const child = spawn("node", [...CLI, "--port", "0", "--models", join(root, "models", "tiny")], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    const exited = once(child, "exit");
    try {
      const url = await urlOf(child);
      expect((await getJson(`${url}/v2/health/ready`)).status).toBe(200);
      const res = await postJson(`${url}/v2/models/tiny/infer`, v2Request(["refund please"]));
      expect(res.status).toBe(200);
      child.kill("SIGTERM");
      const [code, signal] = await exited;
      expect({ code, signal }).toEqual({ code: 0, signal: null });
    } finally {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
    }
  });

  it.each([
    [["--port", "http"], /--port must be a whole number/],
    [["--fail-rate", "1.5"], /--fail-rate must be a number from 0 to 1/],
    [["--latency-ms", "-5"], /latency-ms/],
    [["--bogus"], /Unknown option '--bogus'/],
  ])("exits 2 with usage for bad flags %j", { timeout: 30_000 }, async (args, message) => {
    const failed = await run("node", [...CLI, ...args]).then(
      () => null,
      (error: { code: number; stderr: string }) => error,
    );
    expect(failed?.code).toBe(2);
    expect(failed?.stderr).toMatch(message);
    expect(failed?.stderr).toMatch(/Usage: npm run teacher/);
  });

  it("exits 1 when a package cannot be loaded", { timeout: 30_000 }, async () => {
    const failed = await run("node", [...CLI, "--port", "0", "--models", join(root, "missing")]).then(
      () => null,
      (error: { code: number; stderr: string }) => error,
    );
    expect(failed?.code).toBe(1);
    expect(failed?.stderr).toMatch(/cannot start: .*no teacher\/manifest\.json/);
  });
});
