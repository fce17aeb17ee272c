import {
  applyD1Migrations,
  createExecutionContext,
  createMessageBatch,
  type D1Migration,
  getQueueResult,
  waitOnExecutionContext,
} from "cloudflare:test";
import { exports, env as workerEnv } from "cloudflare:workers";
import { afterEach, beforeAll, describe, expect, inject, it, vi } from "vitest";
import { sha256Hex } from "../../src/core/digest.ts";
import { normalizeText } from "../../src/core/featurizer.ts";
import { HardExampleRecord } from "../../src/core/hard-example.ts";
import { createApp } from "../../src/gateway/app.ts";
import type { Env } from "../../src/gateway/bindings.ts";
import type { TeacherPort } from "../../src/gateway/cascade/port.ts";
import { AgreementMessage, isAgreementKind } from "../../src/gateway/evidence/agreement.ts";
import { backoffSeconds } from "../../src/gateway/hard-example-log/consumer.ts";
import worker from "../../src/gateway/index.ts";
import { isUsageKind } from "../../src/gateway/metrics/usage.ts";
import { ClassifyResponse } from "../../src/gateway/schemas/classify.ts";
import { envWith, expectError, kserveTeacher, post } from "./gateway-helpers.ts";
import { fakeRecord } from "./hard-example-fixtures.ts";

/**
 * The hard-example log inside workerd with miniflare's real Queues, R2 and D1 (bindings from
 * wrangler.toml): records made by the cascade (producer), the queue consumer (R2 JSONL + D1 index),
 * idempotency, failures mid-batch, the dead-letter path, and the whole loop through the real queue.
 */
const teachers = inject("teachers");
const env = workerEnv as unknown as Env & { TEST_MIGRATIONS: D1Migration[] };
const db = env.DB!;
const bucket = env.HARD_EXAMPLES_BUCKET!;

beforeAll(async () => {
  await applyD1Migrations(db, env.TEST_MIGRATIONS);
});
afterEach(() => {
  vi.restoreAllMocks();
});

// clinc150 routes on margin < 0.265 (see gateway-classify.test.ts): these are unsure / sure.
const UNSURE = "asdf qwer";
const SURE = "what is my credit score";
const unique = (text: string) => `${text} ${crypto.randomUUID().slice(0, 8)}`;

/**
 * A queue producer binding that keeps what it is sent (and may fail). The gateway's answer counts travel
 * on the same queue (src/gateway/metrics, tested in usage.test.ts); they are kept apart in `usage`, and
 * the agreement counts (src/gateway/evidence, canary-decisions.test.ts) in `agreement`.
 */
function recordingQueue(fail = false) {
  const bodies: unknown[] = [];
  const usage: unknown[] = [];
  const agreement: unknown[] = [];
  const keep = (body: unknown) =>
    (isUsageKind(body) ? usage : isAgreementKind(body) ? agreement : bodies).push(body);
  const queue = {
    bodies,
    usage,
    agreement,
    async send(body: unknown) {
      if (fail) throw new Error("queue down");
      keep(body);
    },
    async sendBatch(messages: Iterable<MessageSendRequest<unknown>>) {
      if (fail) throw new Error("queue down");
      for (const m of messages) keep(m.body);
    },
  };
  return queue as typeof queue & Queue<unknown>;
}

const idOf = async (model: string, text: string) =>
  sha256Hex(`${model}\n${normalizeText(text, { normalization: "NFKC", lowercase: true })}`);

describe("producer: records from the cascade, sent in ctx.waitUntil", () => {
  async function run(body: unknown, vars: Env = {}, port: TeacherPort = kserveTeacher(teachers.healthy)) {
    const queue = recordingQueue();
    const app = createApp({ teacher: () => port });
    const ctx = createExecutionContext();
    const res = await app.request(
      "/v1/classify",
      post(body),
      // Usage counts flushed within the request: waitOnExecutionContext need not wait for a window.
      envWith({ USAGE_FLUSH_MS: 0, ...vars, HARD_EXAMPLES: queue }),
      ctx,
    );
    expect(res.status, await res.clone().text()).toBe(200);
    // The answer is complete before the log is written: logging runs after, in waitUntil.
    const answer = ClassifyResponse.parse(await res.json());
    await waitOnExecutionContext(ctx);
    const records = queue.bodies.map((b) => HardExampleRecord.parse(b));
    return { answer, records, requestId: res.headers.get("x-request-id"), queue };
  }

  it("an escalated text: one record, route teacher, with the contract's every field", async () => {
    const port = kserveTeacher(teachers.healthy);
    const { answer, records, requestId } = await run({ text: UNSURE }, { AUDIT_RATE: 0 }, port);
    expect(records).toHaveLength(1);
    const [r] = records;
    const [result] = answer.results;
    expect(r).toMatchObject({
      id: await idOf("clinc150", UNSURE),
      model: "clinc150",
      version: answer.version,
      text: UNSURE,
      redactions: {},
      route: "teacher",
      reason: "below_threshold",
      request_id: requestId,
      // Every escalated answer is logged.
      logged_p: 1,
      student: { label: result!.student!.label, confidence: result!.student!.confidence },
      teacher: { label: result!.label, confidence: result!.confidence, protocol: "kserve-v2" },
    });
    expect(r!.student!.probs).toHaveLength(151);
    expect(r!.student!.probs.reduce((s, p) => s + p, 0)).toBeCloseTo(1, 6);
    expect(r!.teacher!.probs).toHaveLength(151);
    expect(r!.teacher!.latency_ms).toBeGreaterThanOrEqual(0);
    expect(Date.now() - Date.parse(r!.ts)).toBeLessThan(60_000);
  });

  it("confident student answers: nothing, unless audited (AUDIT_RATE 1) → route audit with the teacher", async () => {
    expect((await run({ text: SURE }, { AUDIT_RATE: 0 })).records).toEqual([]);
    const port = kserveTeacher(teachers.healthy);
    const audited = await run({ texts: [SURE, UNSURE] }, { AUDIT_RATE: "1" }, port);
    // The unsure text was escalated (one call), the sure one audited in the background (a second call).
    expect(port.queries.map((q) => q.texts)).toEqual([[UNSURE], [SURE]]);
    expect(audited.answer.results.map((r) => r.source)).toEqual(["student", "teacher"]);
    const byRoute = Object.fromEntries(audited.records.map((r) => [r.route, r]));
    expect(Object.keys(byRoute).sort()).toEqual(["audit", "teacher"]);
    expect(byRoute.audit).toMatchObject({
      text: SURE,
      reason: "audit_sample",
      teacher: { protocol: "kserve-v2" },
    });
    expect(byRoute.audit!.teacher!.label).toBe("credit_score");
    // "never" is the client saying no teacher: no audit either.
    const never = await run({ text: SURE, options: { teacher: "never" } }, { AUDIT_RATE: 1 }, port);
    expect(never.records).toEqual([]);
    expect(port.queries).toHaveLength(2);
  });

  it("logging starts after the answer: the audit's teacher call and the records come once it is sent", async () => {
    const port = kserveTeacher(teachers.healthy);
    const queue = recordingQueue();
    const ctx = createExecutionContext();
    const app = createApp({ teacher: () => port });
    const body = { texts: [SURE, unique(UNSURE)] };
    const res = await app.request(
      "/v1/classify",
      post(body),
      envWith({ AUDIT_RATE: 1, HARD_EXAMPLES: queue }),
      ctx,
    );
    expect(res.status).toBe(200);
    // Answered: the escalation was asked, the audit not yet, and no record was built (so none redacted).
    expect(port.queries.map((q) => q.texts)).toEqual([[body.texts[1]]]);
    expect(queue.bodies).toEqual([]);
    expect(queue.agreement).toEqual([]);
    await waitOnExecutionContext(ctx);
    expect(port.queries.map((q) => q.texts)).toEqual([[body.texts[1]], [SURE]]);
    expect(queue.bodies).toHaveLength(2);
    // The teacher's labels as evidence: one agreement message for the escalation, one for the audit.
    expect(queue.agreement.map((m) => AgreementMessage.parse(m).counts[0]?.source).sort()).toEqual([
      "audit",
      "escalated",
    ]);
  });

  it("an audit record carries the audit rate as the probability that it was logged", async () => {
    // At this rate a confident answer is sampled with near certainty, yet through the random draw.
    const audited = await run({ text: SURE }, { AUDIT_RATE: "0.999999" });
    expect(audited.records.map((r) => [r.route, r.logged_p])).toEqual([["audit", 0.999999]]);
  });

  it("a failing teacher: route degraded, teacher null, the failure kind as reason", async () => {
    const { records } = await run(
      { texts: [UNSURE, SURE], options: { teacher: "always" } },
      {},
      kserveTeacher(teachers.failing),
    );
    expect(records.map((r) => [r.route, r.reason, r.teacher])).toEqual([
      ["degraded", "http_5xx", null],
      ["degraded", "http_5xx", null],
    ]);
  });

  it("a cached teacher answer: route cache (production client, TEACHER_URL)", async () => {
    const text = unique(UNSURE);
    const vars = { TEACHER_URL: teachers.healthy, AUDIT_RATE: 0 };
    const app = createApp();
    const queue = recordingQueue();
    const e = envWith({ ...vars, HARD_EXAMPLES: queue });
    for (const t of [text, text.toUpperCase()]) {
      const ctx = createExecutionContext();
      const res = await app.request(
        "/v1/classify",
        post({ text: t, options: { teacher: "always" } }),
        e,
        ctx,
      );
      expect(res.status).toBe(200);
      await waitOnExecutionContext(ctx); // the answer cache is written in waitUntil too
    }
    const records = queue.bodies.map((b) => HardExampleRecord.parse(b));
    expect(records.map((r) => r.route)).toEqual(["teacher", "cache"]);
    // Same normalised text, same model: the same example.
    expect(records[0]!.id).toBe(records[1]!.id);
  });

  it("redacts the logged text by default; REDACTION log+teacher redacts what the teacher sees; off keeps it", async () => {
    const text = "pls mail jane.doe@example.com or call +44 20 7946 0958";
    const port = kserveTeacher(teachers.healthy);
    const logged = await run({ text, options: { teacher: "always" } }, {}, port);
    expect(logged.records[0]).toMatchObject({
      text: "pls mail [EMAIL] or call [PHONE]",
      redactions: { email: 1, phone: 1 },
    });
    expect(logged.records[0]!.id).toBe(await idOf("clinc150", "pls mail [EMAIL] or call [PHONE]"));
    expect(port.queries[0]!.texts).toEqual([text]);

    await run({ text, options: { teacher: "always" } }, { REDACTION: '{"clinc150": "log+teacher"}' }, port);
    expect(port.queries[1]!.texts).toEqual(["pls mail [EMAIL] or call [PHONE]"]);
    // Per model: another model's setting does not apply, "*" does.
    await run({ text, options: { teacher: "always" } }, { REDACTION: { "sms-spam": "log+teacher" } }, port);
    expect(port.queries[2]!.texts).toEqual([text]);
    const off = await run({ text, options: { teacher: "always" } }, { REDACTION: '{"*": "off"}' }, port);
    expect(off.records[0]).toMatchObject({ text, redactions: {} });
  });

  it("HARD_EXAMPLES_PER_HOUR bounds a model's records; the rest are dropped before the teacher is asked for audits, and counted", async () => {
    const port = kserveTeacher(teachers.healthy);
    const app = createApp({ teacher: () => port });
    const queue = recordingQueue();
    const e = envWith({
      USAGE_FLUSH_MS: 0,
      AUDIT_RATE: 1,
      HARD_EXAMPLES_PER_HOUR: "3",
      HARD_EXAMPLES: queue,
    });
    const send = async (body: unknown) => {
      const ctx = createExecutionContext();
      const res = await app.request("/v1/classify", post(body), e, ctx);
      expect(res.status).toBe(200);
      await waitOnExecutionContext(ctx);
    };
    // Two escalations and one audit: three records, the cap.
    await send({ texts: [unique(UNSURE), unique(UNSURE), SURE] });
    expect(queue.bodies).toHaveLength(3);
    // Over the cap: the answers are as before, nothing is logged, and the audit is not asked.
    const asked = port.queries.length;
    await send({ texts: [unique(UNSURE), SURE], options: { teacher: "auto" } });
    await send({ texts: [unique(UNSURE), unique(UNSURE)], options: { teacher: "always" } });
    expect(queue.bodies).toHaveLength(3);
    expect(port.queries.length).toBe(asked + 2); // the two escalations, no audit
    const metrics = await (await app.request("/metrics", {}, e)).text();
    expect(metrics).toMatch(/^apprentice_hard_examples_dropped_total\{model="clinc150"\} 4$/m);
    // Another model has its own budget.
    await send({ model: "sms-spam", text: "hello", options: { teacher: "always" } });
    expect(queue.bodies).toHaveLength(4);
    // The variable is validated like every other.
    const bad = await app.request(
      "/v1/classify",
      post({ text: SURE }),
      envWith({ HARD_EXAMPLES_PER_HOUR: "0" }),
    );
    expect(await expectError(bad, 500, "config_invalid")).toBe("config_invalid");
  });

  it("never fails the request: no queue binding, or a queue that throws", async () => {
    const app = createApp({ teacher: () => kserveTeacher(teachers.healthy) });
    const ctx = createExecutionContext();
    const none = await app.request("/v1/classify", post({ text: UNSURE }), envWith(), ctx);
    expect(none.status).toBe(200);
    const errors = vi.spyOn(console, "error").mockImplementation(() => {});
    const broken = recordingQueue(true);
    const ctx2 = createExecutionContext();
    const res = await app.request(
      "/v1/classify",
      post({ text: UNSURE }),
      envWith({ HARD_EXAMPLES: broken }),
      ctx2,
    );
    expect(res.status).toBe(200);
    await waitOnExecutionContext(ctx2);
    expect(errors).toHaveBeenCalledWith("hard examples: not logged:", expect.any(Error));
  });

  it("AUDIT_RATE and REDACTION are validated like every variable", async () => {
    const app = createApp({ teacher: () => kserveTeacher(teachers.healthy) });
    for (const vars of [
      { AUDIT_RATE: "1.5" },
      { AUDIT_RATE: "often" },
      { REDACTION: "{log" },
      { REDACTION: '{"clinc150": "all"}' },
    ]) {
      const res = await app.request("/v1/classify", post({ text: SURE }), envWith(vars));
      expect(await expectError(res, 500, "config_invalid")).toBe("config_invalid");
    }
  });
});

// ---------------------------------------------------------------------------------------------------
// The consumer

let seq = 0;
/** A valid record of `model` with a text of its own. */
const record = (model: string, ts = "2026-05-01T10:00:00.000Z") => fakeRecord(model, { ts });

// What createMessageBatch takes and getQueueResult gives (the workers-types entry this project uses has
// no names for them).
interface TestMessage {
  id: string;
  timestamp: Date;
  attempts: number;
  body: unknown;
}
interface QueueResult {
  explicitAcks: string[];
  retryMessages: { msgId: string }[];
}

const message = (body: unknown, i: number, attempts = 1): TestMessage => ({
  id: `msg-${seq}-${i}`,
  timestamp: new Date(1_000 + i),
  attempts,
  body,
});

async function deliver(messages: TestMessage[], bindings: Env = env) {
  const batch = createMessageBatch("hard-examples", messages);
  const ctx = createExecutionContext();
  await worker.queue(batch, bindings);
  const result = (await getQueueResult(batch, ctx)) as QueueResult;
  return {
    batch,
    result,
    acked: new Set(result.explicitAcks),
    retried: new Set(result.retryMessages.map((m) => m.msgId)),
  };
}

async function rows(model: string) {
  const { results } = await db
    .prepare("SELECT * FROM hard_examples WHERE model = ? ORDER BY ts, id")
    .bind(model)
    .all<Record<string, unknown>>();
  return results;
}

async function objects(model: string): Promise<Map<string, HardExampleRecord[]>> {
  const listed = await bucket.list({ prefix: `hard-examples/${model}/` });
  const out = new Map<string, HardExampleRecord[]>();
  for (const o of listed.objects) {
    const text = await (await bucket.get(o.key))!.text();
    out.set(
      o.key,
      text
        .trimEnd()
        .split("\n")
        .map((line) => HardExampleRecord.parse(JSON.parse(line))),
    );
  }
  return out;
}

const testModel = (name: string) => `t-${name}-${crypto.randomUUID().slice(0, 6)}`;

describe("consumer: R2 JSONL + D1 index", () => {
  it("writes one object per model (and day) per batch, indexes every record, and acks", async () => {
    const [a, b] = [testModel("a"), testModel("b")];
    const bodies = [await record(a), await record(b), await record(a, "2026-05-01T11:00:00.000Z")];
    const messages = bodies.map((body, i) => message(body, i));
    const { acked, retried } = await deliver(messages);
    expect([...acked].sort()).toEqual(messages.map((m) => m.id).sort());
    expect(retried.size).toBe(0);

    const objectsA = await objects(a);
    expect(objectsA.size).toBe(1);
    const [keyA, linesA] = [...objectsA][0]!;
    expect(keyA).toMatch(new RegExp(`^hard-examples/${a}/2026-05-01/[0-9a-f]{32}\\.jsonl$`));
    expect(linesA).toEqual([bodies[0], bodies[2]]); // time order
    const head = await bucket.head(keyA!);
    expect(head!.httpMetadata!.contentType).toMatch(/^application\/x-ndjson/);

    const rowsA = await rows(a);
    expect(rowsA).toEqual([
      {
        id: bodies[0]!.id,
        ts: bodies[0]!.ts,
        model: a,
        version: "1.0.0",
        route: "teacher",
        student_label: "a",
        teacher_label: "b",
        confidence: 0.4,
        r2_key: keyA,
      },
      expect.objectContaining({ id: bodies[2]!.id, r2_key: keyA }),
    ]);
    expect((await rows(b)).map((r) => r.id)).toEqual([bodies[1]!.id]);
    expect([...(await objects(b)).values()]).toEqual([[bodies[1]]]);
  });

  it("a batch spanning midnight writes one object per day; a degraded record has no teacher label", async () => {
    const m = testModel("day");
    const late = await record(m, "2026-05-01T23:59:59.999Z");
    const early = {
      ...(await record(m, "2026-05-02T00:00:00.000Z")),
      route: "degraded" as const,
      teacher: null,
    };
    await deliver([message(late, 0), message(early, 1)]);
    expect([...(await objects(m)).keys()].map((k) => k.split("/")[2])).toEqual(["2026-05-01", "2026-05-02"]);
    expect((await rows(m)).map((r) => [r.route, r.teacher_label])).toEqual([
      ["teacher", "b"],
      ["degraded", null],
    ]);
  });

  it("is idempotent: the same batch twice gives one set of rows and the same object", async () => {
    const m = testModel("idem");
    const messages = [message(await record(m), 0), message(await record(m), 1)];
    await deliver(messages);
    const before = await objects(m);
    const etag = (await bucket.head([...before.keys()][0]!))!.etag;
    const again = await deliver(messages);
    expect(again.acked.size).toBe(2);
    const after = await objects(m);
    expect(after).toEqual(before);
    expect(after.size).toBe(1);
    expect((await bucket.head([...after.keys()][0]!))!.etag).toBe(etag); // same bytes rewritten
    expect(await rows(m)).toHaveLength(2);
  });

  it("the same id again later (another occurrence of the text): the first row stays, R2 keeps both", async () => {
    const m = testModel("again");
    const first = await record(m, "2026-05-01T10:00:00.000Z");
    const later = {
      ...first,
      ts: "2026-05-03T10:00:00.000Z",
      route: "audit" as const,
      reason: "audit_sample",
    };
    await deliver([message(first, 0)]);
    seq++;
    await deliver([message(later, 0)]);
    const found = await rows(m);
    expect(found).toHaveLength(1);
    expect(found[0]).toMatchObject({ ts: first.ts, route: "teacher" });
    expect([...(await objects(m)).values()].flat().map((r) => r.route)).toEqual(["teacher", "audit"]);
  });

  it("keeps the most informative record of a text: teacher > audit > cache > degraded, whatever came first", async () => {
    const m = testModel("rank");
    const first = await record(m, "2026-05-01T10:00:00.000Z");
    const as = (route: "teacher" | "audit" | "cache" | "degraded", day: string) => ({
      ...first,
      ts: `2026-05-${day}T10:00:00.000Z`,
      route,
      reason: route === "degraded" ? "timeout" : route === "audit" ? "audit_sample" : "below_threshold",
      teacher: route === "degraded" ? null : { ...first.teacher!, label: `${route}-label` },
    });
    const indexed = async () =>
      (await rows(m)).map((r) => [r.route, String(r.ts).slice(8, 10), r.teacher_label]);
    // An attacker logs the text as degraded first: the later cache, audit and teacher answers each win.
    const sequence = [as("degraded", "01"), as("cache", "02"), as("audit", "03"), as("teacher", "04")];
    const seen: unknown[] = [];
    for (const [i, body] of sequence.entries()) {
      seq++;
      const { acked } = await deliver([message(body, i)]);
      expect(acked.size).toBe(1);
      seen.push((await indexed())[0]);
    }
    expect(seen).toEqual([
      ["degraded", "01", null],
      ["cache", "02", "cache-label"],
      ["audit", "03", "audit-label"],
      ["teacher", "04", "teacher-label"],
    ]);
    // Nothing less informative replaces it afterwards; every occurrence is still in R2.
    for (const [i, body] of [as("degraded", "05"), as("cache", "06"), as("audit", "07")].entries()) {
      seq++;
      await deliver([message(body, i)]);
    }
    expect(await indexed()).toEqual([["teacher", "04", "teacher-label"]]);
    const [row] = await rows(m);
    const inObject = (await objects(m)).get(String(row!.r2_key))!;
    expect(inObject.map((r) => r.route)).toEqual(["teacher"]);
    expect([...(await objects(m)).values()].flat()).toHaveLength(7);
  });

  it("a record with no student (model from a label set): NULL student label and confidence", async () => {
    const m = testModel("nostudent");
    const body = { ...(await record(m)), student: null, reason: "no_student" };
    const { acked } = await deliver([message(body, 0)]);
    expect(acked.size).toBe(1);
    expect(await rows(m)).toEqual([
      expect.objectContaining({
        id: body.id,
        route: "teacher",
        student_label: null,
        confidence: null,
        teacher_label: "b",
      }),
    ]);
  });

  it("D1 fails mid-batch: everything is retried with backoff, and the retry loses and doubles nothing", async () => {
    const m = testModel("d1");
    const messages = [0, 1, 2].map(async (i) => message(await record(m), i));
    const batchMessages = await Promise.all(messages);
    let failures = 1;
    const flakyDb = new Proxy(db, {
      get(target, key) {
        if (key === "batch")
          return async (statements: D1PreparedStatement[]) => {
            if (failures-- > 0) throw new Error("D1_ERROR: database is locked");
            return target.batch(statements);
          };
        const value = Reflect.get(target, key);
        return typeof value === "function" ? value.bind(target) : value;
      },
    });
    const errors = vi.spyOn(console, "error").mockImplementation(() => {});
    const first = await deliver(batchMessages, { ...env, DB: flakyDb });
    expect(first.acked.size).toBe(0);
    expect(first.retried.size).toBe(3);
    expect(errors).toHaveBeenCalled();
    expect(await rows(m)).toHaveLength(0);

    // Queues redelivers the same messages (attempts 2); the consumer asks for a longer delay next time.
    const redelivered = batchMessages.map((msg) => ({ ...msg, attempts: 2 }));
    const second = await deliver(redelivered, { ...env, DB: flakyDb });
    expect(second.acked.size).toBe(3);
    expect(await rows(m)).toHaveLength(3);
    const stored = await objects(m);
    expect(stored.size).toBe(1); // the object of the failed attempt was overwritten, not duplicated
    expect([...stored.values()][0]).toHaveLength(3);
  });

  it("retry delays grow exponentially with message.attempts", async () => {
    const m = testModel("delay");
    const batch = createMessageBatch("hard-examples", [message(await record(m), 0, 3)]);
    const retry = vi.spyOn(batch.messages[0]!, "retry");
    vi.spyOn(console, "error").mockImplementation(() => {});
    await worker.queue(batch, { ...env, DB: undefined });
    expect(retry).toHaveBeenCalledWith({ delaySeconds: 40 });
    expect([1, 2, 3, 4, 9, 10, 30].map(backoffSeconds)).toEqual([10, 20, 40, 80, 2560, 3600, 3600]);
  });

  it("R2 fails for one model's object: that model's messages are retried, the rest acked; nothing doubles", async () => {
    const [good, bad] = [testModel("good"), testModel("bad")];
    const batchMessages = [
      message(await record(good), 0),
      message(await record(bad), 1),
      message(await record(bad), 2),
    ];
    let failures = 1;
    const flakyBucket = new Proxy(bucket, {
      get(target, key) {
        if (key === "put")
          return async (k: string, value: string, options: R2PutOptions) => {
            if (k.includes(`/${bad}/`) && failures-- > 0) throw new Error("R2 503");
            return target.put(k, value, options);
          };
        const value = Reflect.get(target, key);
        return typeof value === "function" ? value.bind(target) : value;
      },
    });
    vi.spyOn(console, "error").mockImplementation(() => {});
    const first = await deliver(batchMessages, { ...env, HARD_EXAMPLES_BUCKET: flakyBucket });
    expect([...first.acked]).toEqual([batchMessages[0]!.id]);
    expect([...first.retried].sort()).toEqual([batchMessages[1]!.id, batchMessages[2]!.id].sort());
    expect(await rows(bad)).toHaveLength(0);

    // Only the retried messages come back.
    await deliver(
      batchMessages.slice(1).map((msg) => ({ ...msg, attempts: 2 })),
      { ...env, HARD_EXAMPLES_BUCKET: flakyBucket },
    );
    expect(await rows(good)).toHaveLength(1);
    expect(await rows(bad)).toHaveLength(2);
    expect([...(await objects(bad)).values()].flat()).toHaveLength(2);
  });

  it("an invalid message goes straight to the DLQ (acked, counted); the valid ones are stored", async () => {
    const m = testModel("dlq");
    const valid = await record(m);
    const invalid = { ...valid, id: "not-a-sha", extra: true };
    const dlq = recordingQueue();
    const errors = vi.spyOn(console, "error").mockImplementation(() => {});
    const { acked, retried } = await deliver([message(valid, 0), message(invalid, 1)], {
      ...env,
      HARD_EXAMPLES_DLQ: dlq,
    });
    expect(acked.size).toBe(2);
    expect(retried.size).toBe(0);
    expect(dlq.bodies).toEqual([invalid]); // unchanged, so it can be replayed once fixed
    expect(errors).toHaveBeenCalledWith(expect.stringMatching(/is not a record: id: /));
    expect(await rows(m)).toHaveLength(1);

    // No DLQ producer, or a DLQ that fails: retried instead (Queues dead-letters it after max_retries).
    for (const bindings of [
      { ...env, HARD_EXAMPLES_DLQ: undefined },
      { ...env, HARD_EXAMPLES_DLQ: recordingQueue(true) },
    ]) {
      const r = await deliver([message("not even an object", 0)], bindings);
      expect([r.acked.size, r.retried.size]).toEqual([0, 1]);
    }
    // The dead-letter queue is configured and bound (wrangler.toml).
    expect(typeof env.HARD_EXAMPLES_DLQ?.send).toBe("function");
  });

  it("without the bucket or the database binding, the whole batch is retried", async () => {
    vi.spyOn(console, "error").mockImplementation(() => {});
    const messages = [message(await record(testModel("nobind")), 0)];
    for (const bindings of [
      { ...env, DB: undefined },
      { ...env, HARD_EXAMPLES_BUCKET: undefined },
    ]) {
      const { retried } = await deliver(messages, bindings);
      expect(retried.size).toBe(1);
    }
  });
});

describe("the whole loop through the real queue: Worker fetch → queue → queue() → R2 + D1", () => {
  it("a degraded answer (no TEACHER_URL in wrangler.toml) is indexed within the batch timeout", async () => {
    const w = (exports as unknown as { default: { fetch(request: Request): Promise<Response> } }).default;
    const text = unique("asdf qwer zxcv");
    const res = await w.fetch(
      new Request("http://gateway/v1/classify", post({ text, options: { teacher: "always" } })),
    );
    expect(ClassifyResponse.parse(await res.json()).results[0]).toMatchObject({
      degraded: true,
      reason: "not_configured",
    });
    const id = await idOf("clinc150", text);
    let row: Record<string, unknown> | null = null;
    // max_batch_timeout is 5 s; allow for a slow machine.
    for (let i = 0; i < 60 && !row; i++) {
      row = await db.prepare("SELECT * FROM hard_examples WHERE id = ?").bind(id).first();
      if (!row) await new Promise((r) => setTimeout(r, 250));
    }
    expect(row).toMatchObject({ model: "clinc150", route: "degraded", teacher_label: null });
    const lines = (await (await bucket.get(String(row!.r2_key)))!.text()).trimEnd().split("\n");
    const stored = lines.map((l) => HardExampleRecord.parse(JSON.parse(l))).find((r) => r.id === id);
    expect(stored).toMatchObject({
      text,
      route: "degraded",
      reason: "not_configured",
      request_id: res.headers.get("x-request-id"),
    });
  }, 30_000);
});
