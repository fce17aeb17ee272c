import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { GatewayClient } from "../../src/distill/gateway-client/client.ts";
import type { Stack } from "../../src/stack.ts";
import { type FreshStack, startFreshStack } from "../helpers/fresh-stack.ts";

/**
 * The re-distillation loop once, for real: wrangler dev (queue → R2 + D1, registry in R2 + KV) and the
 * local teacher; unsure texts are logged, `npm run distill -- --from-gateway` pulls them, the gate
 * refuses a deliberately weak student, --force publishes it, and /v1/classify then answers with it.
 */
const run = promisify(execFile);

// Texts between intents, so the student's margin is small and the gateway asks the teacher.
const UNSURE = [
  "can you tell me something about the weather in my bank account",
  "i want to travel with my credit card to the restaurant",
  "set an alarm for my insurance payment and tell me a joke",
  "what is the exchange rate of my calories",
  "book a flight to my pto balance",
  "how do i change the oil of my credit score",
  "play music about my account being blocked",
  "translate my grocery list into a meeting",
];

// Tiny recipe: the point is the path, not the student's quality (the gate refuses it).
const TINY = ["--student-epochs", "1", "--augment", "0", "--student-buckets", "4096", "--student-dim", "8"];

describe("end to end: hard examples → distill --from-gateway → registry → hot swap", () => {
  let fresh: FreshStack;
  let stack: Stack;
  let dir: string;
  let client: GatewayClient;
  const token = randomBytes(32).toString("base64url");
  const distill = (...args: string[]) =>
    run(
      "node",
      [
        "--import",
        "tsx",
        "src/distill/cli/distill.ts",
        "--from-gateway",
        stack.gatewayUrl,
        "--name",
        "clinc150",
      ].concat(["--quiet", ...TINY, ...args]),
      { env: { ...process.env, ADMIN_TOKEN: token } },
    ).then(
      (r) => ({ code: 0, ...r }),
      (e: { code: number; stdout: string; stderr: string }) => ({
        code: e.code,
        stdout: e.stdout,
        stderr: e.stderr,
      }),
    );

  beforeAll(async () => {
    fresh = await startFreshStack("redistill", {
      adminToken: token,
      vars: { REGISTRY_TTL_MS: "500", AUDIT_RATE: "0", TEACHER_CACHE_TTL_S: "0" },
      readyTimeoutMs: 120_000,
    });
    ({ stack, dir } = fresh);
    client = new GatewayClient(stack.gatewayUrl, token);
  }, 150_000);
  afterAll(() => fresh?.stop());

  it("logs the unsure texts the teacher answered, and the export serves them", async () => {
    const answer = await client.classify("clinc150", UNSURE, "auto");
    const escalated = answer.results.filter((r) => r.source === "teacher").length;
    expect(escalated).toBeGreaterThanOrEqual(3);
    let count = 0;
    for (let i = 0; i < 60 && count < escalated; i++) {
      count = (await client.hardExampleCount({ model: "clinc150" })) ?? 0;
      if (count < escalated) await new Promise((r) => setTimeout(r, 500));
    }
    expect(count).toBe(escalated);
    const { records } = await client.allHardExamples({ model: "clinc150" });
    expect(records.every((r) => r.route === "teacher" && r.teacher?.probs?.length === 151)).toBe(true);
  }, 60_000);

  it("refuses a worse student with exit code 3 and uploads nothing", async () => {
    const refused = await distill("--publish", "--out", join(dir, "refused"));
    expect(refused.stderr).toMatch(/evaluation gate refused/);
    expect(refused.code).toBe(3);
    const state = await client.adminModel("clinc150");
    expect(state?.versions.map((v) => v.version)).toEqual(["1.0.0"]);
  }, 120_000);

  it("publishes with --force and the gateway answers with the new version", async () => {
    const forced = await distill("--publish", "--force", "--out", join(dir, "forced"));
    expect(forced.code).toBe(0);
    expect(forced.stdout).toMatch(/clinc150 1\.0\.1/);
    expect(forced.stderr).toMatch(/hard examples: \d+ records, \d+ used/);
    const state = await client.adminModel("clinc150");
    expect(state).toMatchObject({ live: "1.0.1", previous: ["1.0.0"] });
    let version = "";
    for (let i = 0; i < 40 && version !== "1.0.1"; i++) {
      version = (await client.classify("clinc150", ["what is my credit score"], "never")).version;
      if (version !== "1.0.1") await new Promise((r) => setTimeout(r, 250));
    }
    expect(version).toBe("1.0.1");
  }, 120_000);
});
