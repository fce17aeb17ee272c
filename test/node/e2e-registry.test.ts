import { execFile, execFileSync } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Stack } from "../../src/stack.ts";
import { type FreshStack, startFreshStack } from "../helpers/fresh-stack.ts";

/**
 * The registry over real HTTP: `wrangler dev` (workerd, miniflare's local R2 and KV) started by the same
 * stack as `npm start`, in a throwaway state directory. A new clinc150 version is uploaded and promoted
 * through the admin routes, and /v1/classify names it within the pointer TTL; rollback brings back the
 * bundled version. A model made by `npm run model -- create` is answered by its own teacher.
 */
const TTL_MS = 1000;
const run = promisify(execFile);
const VERSION = "1.0.1-e2e";

describe("end to end: the model registry under wrangler dev", () => {
  let fresh: FreshStack;
  let stack: Stack;
  const admin = () => ({ authorization: `Bearer ${stack.adminToken}` });
  const classifiedVersion = async () => {
    const res = await fetch(`${stack.gatewayUrl}/v1/classify`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ text: "what is my credit score", options: { teacher: "never" } }),
    });
    expect(res.status).toBe(200);
    return ((await res.json()) as { version: string }).version;
  };
  const waitForVersion = async (version: string) => {
    const start = Date.now();
    while ((await classifiedVersion()) !== version) {
      if (Date.now() - start > TTL_MS + 10_000)
        throw new Error(`still not ${version} after ${Date.now() - start} ms`);
      await new Promise((r) => setTimeout(r, 100));
    }
    return Date.now() - start;
  };

  beforeAll(async () => {
    fresh = await startFreshStack("e2e-registry", { vars: { REGISTRY_TTL_MS: String(TTL_MS) } });
    stack = fresh.stack;
  }, 120_000);
  afterAll(() => fresh?.stop());

  it("has an admin token of 32+ characters that the process list does not show", () => {
    expect(stack.adminToken.length).toBeGreaterThanOrEqual(32);
    const processes = execFileSync("ps", ["-eo", "args"], { encoding: "utf8" });
    expect(processes).toContain("wrangler");
    expect(processes).not.toContain(stack.adminToken);
  });

  it("guards /admin with the token", async () => {
    expect((await fetch(`${stack.gatewayUrl}/admin/models`)).status).toBe(401);
    const wrong = await fetch(`${stack.gatewayUrl}/admin/models`, {
      headers: { authorization: `Bearer ${"x".repeat(40)}` },
    });
    expect(wrong.status).toBe(403);
    const res = await fetch(`${stack.gatewayUrl}/admin/models/clinc150`, { headers: admin() });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ name: "clinc150", live: "1.0.0", canary: null });
  });

  it("uploads and promotes a version, answers with it within the TTL, and rolls back", async () => {
    expect(await classifiedVersion()).toBe("1.0.0");
    const manifest = JSON.parse(await readFile("models/clinc150/manifest.json", "utf8"));
    manifest.version = VERSION;
    manifest.calibration.temperature *= 2;
    const form = new FormData();
    form.set("manifest", new Blob([JSON.stringify(manifest)], { type: "application/json" }), "manifest.json");
    form.set("onnx", new Blob([await readFile("models/clinc150/student.onnx")]), "student.onnx");
    const uploaded = await fetch(`${stack.gatewayUrl}/admin/models/clinc150/versions/${VERSION}`, {
      method: "PUT",
      headers: admin(),
      body: form,
    });
    expect(uploaded.status, await uploaded.clone().text()).toBe(201);
    expect(await uploaded.json()).toMatchObject({
      name: "clinc150",
      version: VERSION,
      sha256: manifest.onnx.sha256,
    });

    const promoted = await fetch(`${stack.gatewayUrl}/admin/models/clinc150/promote`, {
      method: "POST",
      headers: { ...admin(), "content-type": "application/json" },
      body: JSON.stringify({ version: VERSION }),
    });
    expect(promoted.status).toBe(200);
    expect(await promoted.json()).toMatchObject({ live: VERSION, previous: ["1.0.0"] });
    expect(await waitForVersion(VERSION)).toBeLessThan(TTL_MS + 5000);
    const models = (await (await fetch(`${stack.gatewayUrl}/v1/models`)).json()) as {
      models: { name: string; version: string }[];
    };
    expect(models.models.find((m) => m.name === "clinc150")!.version).toBe(VERSION);

    const rolledBack = await fetch(`${stack.gatewayUrl}/admin/models/clinc150/rollback`, {
      method: "POST",
      headers: admin(),
    });
    expect(rolledBack.status).toBe(200);
    expect(await waitForVersion("1.0.0")).toBeLessThan(TTL_MS + 5000);
  }, 60_000);

  it("npm run model -- create: a model from a labels file, answered by its own teacher over OpenAI", async () => {
    const dir = await mkdtemp(join(tmpdir(), "e2e-labels-"));
    const labels = join(dir, "labels.txt");
    await writeFile(labels, "ham\nspam\n");
    const args = ["create", "--gateway", stack.gatewayUrl, "--name", "spam-llm", "--labels", labels];
    const teacher = [
      "--teacher-protocol",
      "openai",
      "--teacher-url",
      stack.teacher.url,
      "--teacher-model",
      "sms-spam",
    ];
    const { stdout } = await run(
      process.execPath,
      ["--import", "tsx", "src/distill/cli/model.ts", ...args, ...teacher],
      {
        env: { ...process.env, ADMIN_TOKEN: stack.adminToken },
      },
    );
    expect(stdout).toMatch(/created spam-llm: 2 labels, teacher openai, live student none/);
    await rm(dir, { recursive: true, force: true });

    // Every isolate sees the new model within the registry TTL; its teacher answers, version "none".
    const start = Date.now();
    let res: Response;
    do {
      res = await fetch(`${stack.gatewayUrl}/v1/classify`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ model: "spam-llm", text: "WINNER!! claim your free prize now" }),
      });
      if (res.status !== 404) break;
      await new Promise((r) => setTimeout(r, 100));
    } while (Date.now() - start < TTL_MS + 10_000);
    expect(res.status, await res.clone().text()).toBe(200);
    expect(await res.json()).toMatchObject({
      model: "spam-llm",
      version: "none",
      results: [{ label: "spam", source: "teacher", student: null }],
    });
  }, 60_000);
});
