import { applyD1Migrations, createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { exports } from "cloudflare:workers";
import { beforeAll, describe, expect, inject, it } from "vitest";
import { HardExampleRecord } from "../../src/core/hard-example.ts";
import type { StatsResponse } from "../../src/gateway/admin/stats/schema.ts";
import { ClassifyResponse } from "../../src/gateway/schemas/classify.ts";
import { adminEnv, app, auth, bindings, stats } from "./admin-stats-helpers.ts";
import { post } from "./gateway-helpers.ts";

/**
 * GET /admin/stats after real traffic: classify requests whose hard examples and usage counts travel
 * through the real queue to the real consumer (queue() of the Worker) and into D1.
 */
beforeAll(async () => {
  await applyD1Migrations(bindings.DB!, bindings.TEST_MIGRATIONS);
});

const UNSURE = "asdf qwer";
const SURE = "what is my credit score";
const unique = (text: string) => `${text} ${crypto.randomUUID().slice(0, 8)}`;

/** Polls the statistics until `done` holds; the consumer runs on the queue's 5 s batch timeout. */
async function statsUntil(query: string, done: (s: StatsResponse) => boolean): Promise<StatsResponse> {
  let s = await stats(query);
  for (let i = 0; i < 120 && !done(s); i++) {
    await new Promise((r) => setTimeout(r, 250));
    s = await stats(query);
  }
  return s;
}

/** How the answer figures grew between two reads. */
function growth(before: StatsResponse, after: StatsResponse) {
  const sum = (values: number[]) => values.reduce((a, b) => a + b, 0);
  const diff = <K extends string>(a: Record<K, number>, b: Record<K, number>, keys: readonly K[]) =>
    Object.fromEntries(keys.map((k) => [k, b[k] - a[k]])) as Record<K, number>;
  return {
    totals: diff(before.totals, after.totals, ["answers", "student", "teacher", "cache", "degraded"]),
    hourly: sum(after.hourly.map((h) => h.answers)) - sum(before.hourly.map((h) => h.answers)),
    endpoints: diff(before.endpoints, after.endpoints, ["v1", "v2"]),
    scores: sum(after.score_histogram.counts) - sum(before.score_histogram.counts),
  };
}

const pairs = (s: StatsResponse) => new Map(s.confusions.map((c) => [`${c.student}>${c.teacher}`, c.count]));

describe("GET /admin/stats after real traffic", () => {
  it("degraded answers of the Worker itself show up as hard examples within the batch timeout", async () => {
    const before = await stats("");
    const worker = (exports as unknown as { default: { fetch(r: Request): Promise<Response> } }).default;
    const texts = [unique(UNSURE), unique(SURE), unique(UNSURE)];
    // wrangler.toml configures no teacher: every escalation is degraded (not_configured).
    const res = await worker.fetch(
      new Request("http://gateway/v1/classify", post({ texts, options: { teacher: "always" } })),
    );
    const answer = ClassifyResponse.parse(await res.json());
    expect(answer.results.map((r) => r.degraded)).toEqual([true, true, true]);
    const after = await statsUntil(
      "",
      (s) => s.routes.degraded >= before.routes.degraded + 3 && s.totals.answers >= before.totals.answers + 3,
    );
    expect(after.routes).toEqual({ ...before.routes, degraded: before.routes.degraded + 3 });
    expect(after.confusions).toEqual(before.confusions); // no teacher label, no confusion
    expect(after.threshold).toEqual({ score: "margin", value: 0.2082430564751957, version: answer.version });
    // The isolate's usage flush went through the same queue: three more degraded answers on /v1.
    expect(growth(before, after)).toEqual({
      totals: { answers: 3, student: 0, teacher: 0, cache: 0, degraded: 3 },
      hourly: 3,
      endpoints: { v1: 3, v2: 0 },
      scores: 3,
    });
  }, 60_000);

  it("escalations and audits answered by a real teacher: routes, agreement and confusions match the log", async () => {
    const env = adminEnv({ TEACHER_URL: inject("teachers").healthy, AUDIT_RATE: "1" });
    const before = await stats("top=50", env);
    const texts = [unique(SURE), unique(UNSURE), unique("how do i pay my bill"), unique(UNSURE)];
    const ctx = createExecutionContext();
    const res = await app.request("/v1/classify", post({ texts }), env, ctx);
    const answer = ClassifyResponse.parse(await res.json());
    await waitOnExecutionContext(ctx); // the records are on the queue once waitUntil is done
    // With AUDIT_RATE 1, every confident answer is an audit; every unsure one went to the teacher.
    const expected = { teacher: 0, audit: 0 };
    for (const r of answer.results) expected[r.source === "teacher" ? "teacher" : "audit"]++;
    expect(expected.teacher).toBeGreaterThan(0);
    expect(expected.audit).toBeGreaterThan(0);

    const logged = (s: StatsResponse) => s.routes.teacher + s.routes.audit;
    const after = await statsUntil(
      "top=50",
      (s) =>
        logged(s) >= logged(before) + texts.length &&
        s.totals.answers >= before.totals.answers + texts.length,
    );
    expect(after.routes).toEqual({
      ...before.routes,
      teacher: before.routes.teacher + expected.teacher,
      audit: before.routes.audit + expected.audit,
    });
    // An audited answer is the student's: the teacher's verdict on it is only logged.
    expect(growth(before, after)).toEqual({
      totals: { answers: 4, student: expected.audit, teacher: expected.teacher, cache: 0, degraded: 0 },
      hourly: 4,
      endpoints: { v1: 4, v2: 0 },
      scores: 4,
    });

    // What the log holds for this request, from the export (R2 records through the D1 index).
    const exported = await app.request(
      `/admin/hard-examples?model=clinc150&since=${before.since}`,
      { headers: auth },
      env,
    );
    const records = new TextDecoder()
      .decode(await exported.arrayBuffer())
      .trimEnd()
      .split("\n")
      .map((line) => HardExampleRecord.parse(JSON.parse(line)))
      .filter((r) => r.request_id === res.headers.get("x-request-id"));
    expect(records).toHaveLength(texts.length);
    const audits = records.filter((r) => r.route === "audit");
    const agree = audits.filter((r) => r.teacher!.label === r.student!.label).length;
    expect(after.agreement.samples - before.agreement.samples).toBe(audits.length);
    expect(after.agreement.agree - before.agreement.agree).toBe(agree);
    const [was, now] = [pairs(before), pairs(after)];
    const confused = new Map<string, number>();
    for (const r of records)
      if (r.teacher && r.teacher.label !== r.student!.label) {
        const key = `${r.student!.label}>${r.teacher.label}`;
        confused.set(key, (confused.get(key) ?? 0) + 1);
      }
    for (const key of new Set([...was.keys(), ...now.keys(), ...confused.keys()]))
      expect((now.get(key) ?? 0) - (was.get(key) ?? 0), key).toBe(confused.get(key) ?? 0);
  }, 60_000);
});
