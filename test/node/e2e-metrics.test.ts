import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ISOLATE_NOTE } from "../../src/gateway/metrics/gateway-metrics.ts";
import { CONTENT_TYPE } from "../../src/gateway/metrics/prometheus.ts";
import { OFFLINE_ENV, type Stack } from "../../src/stack.ts";
import { type FreshStack, startFreshStack } from "../helpers/fresh-stack.ts";
import { parseExposition, sampleValue } from "../helpers/prometheus.ts";

/**
 * Metrics and usage counts under real `wrangler dev` (workerd as deployed, not the test pool): GET
 * /metrics behind METRICS_TOKEN after real traffic, and the usage counts flushed from the Worker's
 * ctx.waitUntil through the local queue into the local D1 (read back with `wrangler d1 execute`).
 * Locally wrangler dev runs one isolate, so the isolate's figures are the run's.
 */
const TOKEN = "e2e-metrics-token-0123456789";
const run = promisify(execFile);

describe("end to end: /metrics and usage counts under wrangler dev", () => {
  let fresh: FreshStack;
  let stack: Stack;
  const post = async (path: string, body: unknown) => {
    const res = await fetch(`${stack.gatewayUrl}${path}`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(body),
    });
    expect(res.status, await res.clone().text()).toBe(200);
    return res;
  };

  /**
   * The running gateway's queue consumer writes the same SQLite file; a read from a second process that
   * lands on its write lock fails with SQLITE_BUSY (seen once in CI), so it is read again, only for that.
   */
  async function readWhileServed<T>(read: () => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await read();
      } catch (error) {
        if (attempt >= 5 || !String(error).includes("SQLITE_BUSY")) throw error;
        await new Promise((resolve) => setTimeout(resolve, 300));
      }
    }
  }

  /** Answers in the local D1's usage_counts by "endpoint/source". */
  async function usage(): Promise<Record<string, number>> {
    const sql = "SELECT endpoint, source, SUM(n) AS n FROM usage_counts GROUP BY endpoint, source";
    const args = [
      "wrangler",
      "d1",
      "execute",
      "DB",
      "--local",
      "--persist-to",
      fresh.state,
      "--json",
      "--command",
      sql,
    ];
    const { stdout } = await readWhileServed(() =>
      run("npx", args, { env: { ...process.env, ...OFFLINE_ENV } }),
    );
    const [result] = JSON.parse(stdout) as { results: { endpoint: string; source: string; n: number }[] }[];
    return Object.fromEntries(result!.results.map((r) => [`${r.endpoint}/${r.source}`, r.n]));
  }

  beforeAll(async () => {
    fresh = await startFreshStack("e2e-metrics", {
      vars: { METRICS_TOKEN: TOKEN, USAGE_FLUSH_MS: "500", AUDIT_RATE: "0", TEACHER_CACHE_TTL_S: "0" },
    });
    stack = fresh.stack;
  }, 90_000);
  afterAll(() => fresh?.stop());

  it("serves this isolate's metrics after real traffic, behind its token", async () => {
    await post("/v1/classify", {
      texts: ["what is my credit score", "set an alarm"],
      options: { teacher: "never" },
    });
    await post("/v1/classify", { text: "asdf qwer", options: { teacher: "always" } });
    const infer = { inputs: [{ name: "text", datatype: "BYTES", shape: [1], data: ["book a flight"] }] };
    await post("/v2/models/clinc150/infer", infer);

    expect((await fetch(`${stack.gatewayUrl}/metrics`)).status).toBe(401);
    const res = await fetch(`${stack.gatewayUrl}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe(CONTENT_TYPE);
    const m = parseExposition(await res.text());
    for (const family of m.values()) expect(family.help).toContain(ISOLATE_NOTE);
    const answers = (endpoint: string, source: string) =>
      sampleValue(m, "apprentice_answers_total", { model: "clinc150", endpoint, source });
    expect([answers("v1", "student"), answers("v1", "teacher"), answers("v2", "student")]).toEqual([2, 1, 1]);
    expect(sampleValue(m, "apprentice_teacher_breaker_state", { model: "clinc150" })).toBe(0);
    expect(sampleValue(m, "apprentice_money_saved_usd_total", { model: "clinc150" })).toBeCloseTo(
      3 * 0.0005,
      12,
    );
  });

  it("flushes the answer counts into D1 through the queue", async () => {
    let rows: Record<string, number> = {};
    for (let i = 0; i < 60 && Object.values(rows).reduce((a, b) => a + b, 0) < 4; i++) {
      await new Promise((r) => setTimeout(r, 500));
      rows = await usage();
    }
    expect(rows).toEqual({ "v1/student": 2, "v1/teacher": 1, "v2/student": 1 });
  }, 60_000);
});
