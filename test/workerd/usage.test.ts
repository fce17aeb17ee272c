import {
  applyD1Migrations,
  createExecutionContext,
  createMessageBatch,
  type D1Migration,
  getQueueResult,
  SELF,
  waitOnExecutionContext,
} from "cloudflare:test";
import { env as workerEnv } from "cloudflare:workers";
import { afterEach, beforeAll, describe, expect, inject, it, vi } from "vitest";
import { createApp } from "../../src/gateway/app.ts";
import type { Env } from "../../src/gateway/bindings.ts";
import worker from "../../src/gateway/index.ts";
import { UsageMessage } from "../../src/gateway/metrics/usage.ts";
import { ClassifyResponse } from "../../src/gateway/schemas/classify.ts";
import { envWith, post } from "./gateway-helpers.ts";

/**
 * The usage counts end to end with miniflare's real queue and D1: answers → the isolate's buffer → one
 * "usage" message on the hard-examples queue → the queue consumer → usage_counts and usage_scores, the
 * tables GET /admin/stats reads. Storage is this file's own, and its tests run in order, so sums are
 * exact: each test compares the tables before and after its traffic.
 */
const teachers = inject("teachers");
const env = workerEnv as unknown as Env & { TEST_MIGRATIONS: D1Migration[] };
const db = env.DB!;

beforeAll(async () => {
  await applyD1Migrations(db, env.TEST_MIGRATIONS);
});
afterEach(() => {
  vi.restoreAllMocks();
});

const SURE = "what is my credit score";
const unique = (text: string) => `${text} ${crypto.randomUUID().slice(0, 8)}`;

type Sums = Record<string, number>;

/** Answers in usage_counts by "endpoint/source" for a model, and the total of its score histogram. */
async function sums(model = "clinc150"): Promise<{ counts: Sums; scores: number }> {
  const { results } = await db
    .prepare(
      "SELECT endpoint, source, SUM(n) AS n FROM usage_counts WHERE model = ? GROUP BY endpoint, source",
    )
    .bind(model)
    .all<{ endpoint: string; source: string; n: number }>();
  const scores = await db
    .prepare("SELECT COALESCE(SUM(n), 0) AS n FROM usage_scores WHERE model = ?")
    .bind(model)
    .first<number>("n");
  return {
    counts: Object.fromEntries(results.map((r) => [`${r.endpoint}/${r.source}`, r.n])),
    scores: scores ?? 0,
  };
}

const total = (s: Sums) => Object.values(s).reduce((a, b) => a + b, 0);
const minus = (after: Sums, before: Sums): Sums =>
  Object.fromEntries(
    Object.entries(after)
      .map(([k, n]): [string, number] => [k, n - (before[k] ?? 0)])
      .filter(([, n]) => n !== 0),
  );

/** Polls D1 until `expected` more answers have arrived (flush window + queue batch timeout), then a bit. */
async function arrived(before: Awaited<ReturnType<typeof sums>>, expected: number) {
  let now = await sums();
  for (let i = 0; i < 120 && total(now.counts) - total(before.counts) < expected; i++) {
    await new Promise((r) => setTimeout(r, 250));
    now = await sums();
  }
  return { counts: minus(now.counts, before.counts), scores: now.scores - before.scores };
}

describe("usage counts through the real queue into D1", () => {
  it("traffic through the Worker (SELF) becomes rows whose sums equal the answers sent, by source", async () => {
    const before = await sums();
    const classify = async (body: unknown) => {
      const res = await SELF.fetch("http://gateway/v1/classify", post(body));
      return ClassifyResponse.parse(await res.json()).results;
    };
    // wrangler.toml names no teacher: "always" answers are degraded (not_configured).
    const student = await classify({
      texts: [SURE, unique(SURE), unique(SURE)],
      options: { teacher: "never" },
    });
    const degraded = await classify({
      texts: [unique("asdf"), unique("qwer")],
      options: { teacher: "always" },
    });
    expect(student.map((r) => r.source)).toEqual(["student", "student", "student"]);
    expect(degraded.map((r) => r.degraded)).toEqual([true, true]);
    const v2 = await SELF.fetch(
      "http://gateway/v2/models/clinc150/infer",
      post({ inputs: [{ name: "text", datatype: "BYTES", shape: [2], data: [SURE, unique(SURE)] }] }),
    );
    expect(v2.status).toBe(200);

    // The Worker's default USAGE_FLUSH_MS (2 s), then the queue's batch timeout (5 s).
    const delta = await arrived(before, 7);
    expect(delta.counts).toEqual({ "v1/student": 3, "v1/degraded": 2, "v2/student": 2 });
    expect(delta.scores).toBe(7);
  }, 40_000);

  it("teacher and cache answers too (production teacher client); each request flushes with USAGE_FLUSH_MS 0", async () => {
    const before = await sums();
    const app = createApp();
    const vars = envWith({ ...env, TEACHER_URL: teachers.healthy, AUDIT_RATE: "0", USAGE_FLUSH_MS: "0" });
    const text = unique("asdf qwer");
    const sources: string[] = [];
    for (const body of [
      { text, options: { teacher: "always" } },
      { text, options: { teacher: "always" } },
      { text: SURE, options: { teacher: "never" } },
    ]) {
      const ctx = createExecutionContext();
      const res = await app.request("/v1/classify", post(body), vars, ctx);
      sources.push(...ClassifyResponse.parse(await res.json()).results.map((r) => r.source));
      await waitOnExecutionContext(ctx); // the cache write and the usage flush run in waitUntil
    }
    expect(sources).toEqual(["teacher", "cache", "student"]);
    const delta = await arrived(before, 3);
    expect(delta.counts).toEqual({ "v1/teacher": 1, "v1/cache": 1, "v1/student": 1 });
    expect(delta.scores).toBe(3);
  }, 40_000);
});

// ---------------------------------------------------------------------------------------------------
// The consumer's side, delivering messages directly (as the hard-example consumer tests do)

interface QueueResult {
  explicitAcks: string[];
}
let seq = 0;

async function deliver(bodies: unknown[], bindings: Env = env) {
  seq++;
  const messages = bodies.map((body, i) => ({
    id: `usage-${seq}-${i}`,
    timestamp: new Date(),
    attempts: 1,
    body,
  }));
  const batch = createMessageBatch("hard-examples", messages);
  const ctx = createExecutionContext();
  await worker.queue(batch, bindings);
  const result = (await getQueueResult(batch, ctx)) as QueueResult;
  return { ids: messages.map((m) => m.id), acked: new Set(result.explicitAcks) };
}

function usageMessage(model: string): UsageMessage {
  return UsageMessage.parse({
    kind: "usage",
    flush_id: crypto.randomUUID(),
    counts: [
      { hour: "2026-11-29T11", model, version: "1.0.0", endpoint: "v1", source: "student", n: 40 },
      { hour: "2026-11-29T11", model, version: "1.0.0", endpoint: "v1", source: "teacher", n: 2 },
      { hour: "2026-11-29T12", model, version: "1.0.1", endpoint: "v2", source: "student", n: 5 },
    ],
    scores: [
      { hour: "2026-11-29T11", model, version: "1.0.0", bin: 19, n: 40 },
      { hour: "2026-11-29T11", model, version: "1.0.0", bin: 1, n: 2 },
      { hour: "2026-11-29T12", model, version: "1.0.1", bin: 18, n: 5 },
    ],
  });
}

const testModel = () => `t-usage-${crypto.randomUUID().slice(0, 8)}`;

describe("consumer: usage messages", () => {
  it("writes a message's rows and acks it; a redelivered message adds nothing", async () => {
    const model = testModel();
    const body = usageMessage(model);
    const first = await deliver([body]);
    expect([...first.acked]).toEqual(first.ids);
    const rows = async () =>
      (
        await db
          .prepare(
            "SELECT flush_id, hour, version, endpoint, source, n FROM usage_counts WHERE model = ? ORDER BY n",
          )
          .bind(model)
          .all()
      ).results;
    expect(await rows()).toEqual([
      {
        flush_id: body.flush_id,
        hour: "2026-11-29T11",
        version: "1.0.0",
        endpoint: "v1",
        source: "teacher",
        n: 2,
      },
      {
        flush_id: body.flush_id,
        hour: "2026-11-29T12",
        version: "1.0.1",
        endpoint: "v2",
        source: "student",
        n: 5,
      },
      {
        flush_id: body.flush_id,
        hour: "2026-11-29T11",
        version: "1.0.0",
        endpoint: "v1",
        source: "student",
        n: 40,
      },
    ]);
    const before = await sums(model);
    expect(before).toEqual({ counts: { "v1/student": 40, "v1/teacher": 2, "v2/student": 5 }, scores: 47 });
    const again = await deliver([body, body]);
    expect(again.acked.size).toBe(2);
    expect(await sums(model)).toEqual(before);
    // Another flush of the same hour adds up at read time.
    await deliver([{ ...usageMessage(model), flush_id: crypto.randomUUID() }]);
    expect((await sums(model)).counts["v1/student"]).toBe(80);
  });

  it("shares a batch with hard-example records: both stored, both acked", async () => {
    const model = testModel();
    const id = "a".repeat(64);
    const record = {
      id,
      ts: "2026-11-29T11:00:00.000Z",
      model,
      version: "1.0.0",
      text: "hello",
      redactions: {},
      student: { label: "a", confidence: 0.4, probs: [0.4, 0.6] },
      teacher: null,
      route: "degraded",
      reason: "timeout",
      request_id: "r",
    };
    const { acked, ids } = await deliver([record, usageMessage(model)]);
    expect([...acked].sort()).toEqual([...ids].sort());
    expect(await db.prepare("SELECT id FROM hard_examples WHERE model = ?").bind(model).first("id")).toBe(id);
    expect((await sums(model)).scores).toBe(47);
  });

  it("an invalid usage message goes to the dead-letter queue; a D1 failure retries with backoff", async () => {
    const errors = vi.spyOn(console, "error").mockImplementation(() => {});
    const dead: unknown[] = [];
    const dlq = { send: async (body: unknown) => void dead.push(body) } as unknown as Queue<unknown>;
    const model = testModel();
    const invalid = { ...usageMessage(model), counts: [{ hour: "today", model, n: -1 }] };
    const valid = usageMessage(model);
    const mixed = await deliver([invalid, valid], { ...env, HARD_EXAMPLES_DLQ: dlq });
    expect(mixed.acked.size).toBe(2);
    expect(dead).toEqual([invalid]);
    expect(errors).toHaveBeenCalledWith(expect.stringMatching(/is not a usage message: counts\.0\./));
    expect((await sums(model)).scores).toBe(47);

    // D1 down: the usage message is retried with the consumer's backoff, and nothing is written.
    const other = testModel();
    const broken = { prepare: db.prepare.bind(db), batch: async () => Promise.reject(new Error("D1 down")) };
    const batch = createMessageBatch("hard-examples", [
      { id: "usage-d1-down", timestamp: new Date(), attempts: 2, body: usageMessage(other) },
    ]);
    const retry = vi.spyOn(batch.messages[0]!, "retry");
    const ack = vi.spyOn(batch.messages[0]!, "ack");
    await worker.queue(batch, { ...env, DB: broken as unknown as D1Database });
    expect(retry).toHaveBeenCalledWith({ delaySeconds: 20 });
    expect(ack).not.toHaveBeenCalled();
    expect(errors).toHaveBeenCalledWith(
      "usage: D1 write failed; retrying the usage messages:",
      expect.any(Error),
    );
    expect(await sums(other)).toEqual({ counts: {}, scores: 0 });
  });
});
