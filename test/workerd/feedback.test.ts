import {
  applyD1Migrations,
  createExecutionContext,
  createMessageBatch,
  getQueueResult,
} from "cloudflare:test";
import { beforeAll, describe, expect, it } from "vitest";
import { sha256Hex } from "../../src/core/digest.ts";
import { FeedbackRecord } from "../../src/core/feedback.ts";
import { wilsonInterval } from "../../src/core/metrics.ts";
import { StatsResponse } from "../../src/gateway/admin/stats/schema.ts";
import { createApp } from "../../src/gateway/app.ts";
import type { Env } from "../../src/gateway/bindings.ts";
import { batchKey, batchPlace } from "../../src/gateway/feedback/trail-batch.ts";
import { trailKey } from "../../src/gateway/feedback/trail-entry.ts";
import worker from "../../src/gateway/index.ts";
import { ClassifyResponse } from "../../src/gateway/schemas/classify.ts";
import { auth, bindings, gateway, SURE, TOKEN, UNSURE } from "./feedback-helpers.ts";
import { expectError } from "./gateway-helpers.ts";

/**
 * Feedback on the real stack: POST /v1/feedback against answers of the real cascade (a real HTTP
 * teacher), the answer trail in miniflare's KV, the records through the queue consumer into R2 and D1,
 * and what /admin/stats and /admin/feedback make of them.
 */
const db = bindings.DB!;
const bucket = bindings.HARD_EXAMPLES_BUCKET!;

beforeAll(async () => {
  await applyD1Migrations(db, bindings.TEST_MIGRATIONS);
});

let seq = 0;
/** Delivers records to the Worker's queue handler as Queues would, and returns what it acked. */
async function deliver(records: readonly unknown[]): Promise<string[]> {
  const batch = createMessageBatch(
    "hard-examples",
    records.map((body, i) => ({ id: `fb-${seq}-${i}`, timestamp: new Date(), attempts: 1, body })),
  );
  seq++;
  const ctx = createExecutionContext();
  await worker.queue(batch, bindings);
  const result = (await getQueueResult(batch, ctx)) as { explicitAcks: string[] };
  return result.explicitAcks;
}

const row = (id: string) =>
  db.prepare("SELECT * FROM feedback WHERE id = ?").bind(id).first<Record<string, unknown>>();

describe("POST /v1/feedback by request id", () => {
  it("finds a confident student answer nobody logged, redacts its text, and stores it in R2 and D1", async () => {
    const gw = gateway();
    const text = `${SURE} write to jane.doe@example.com`;
    const answered = await gw.call("/v1/classify", { text });
    expect(answered.status).toBe(200);
    const answer = ClassifyResponse.parse(await answered.json());
    const requestId = answered.headers.get("x-request-id")!;
    // The trail holds the redacted text only (in the batch the gateway's request id names).
    const kept = await bindings.ANSWER_TRAIL!.get(batchKey(batchPlace(requestId)!.batchId));
    expect(kept).toContain("[EMAIL]");
    expect(kept).not.toContain("jane.doe");

    const res = await gw.call("/v1/feedback", { request_id: requestId, label: "credit_score" });
    expect(res.status, await res.clone().text()).toBe(202);
    const accepted = (await res.json()) as Record<string, unknown>;
    const [record] = gw.feedback();
    const [result] = answer.results;
    expect(record).toMatchObject({
      id: accepted.id,
      model: "clinc150",
      version: answer.version,
      label: "credit_score",
      request_id: requestId,
      index: 0,
      source: result!.source,
      student_label: result!.student!.label,
      redactions: { email: 1 },
    });
    expect(record!.text).toContain("[EMAIL]");
    expect(record!.text).not.toContain("jane.doe");
    // The example id is the hard-example log's id of the same text, so the two join.
    expect(record!.example_id).toBe(
      await sha256Hex(`clinc150\n${record!.text.normalize("NFKC").toLowerCase()}`),
    );

    expect(await deliver([record])).toHaveLength(1);
    const stored = await row(record!.id);
    expect(stored).toMatchObject({ label: "credit_score", version: answer.version, text_index: 0 });
    const lines = (await (await bucket.get(String(stored!.r2_key)))!.text()).trimEnd().split("\n");
    expect(lines.map((l) => FeedbackRecord.parse(JSON.parse(l)))).toContainEqual(record);
  });

  it("a repeat replaces the label and never doubles; a late older record changes nothing", async () => {
    const gw = gateway();
    const answered = await gw.call("/v1/classify", { text: UNSURE });
    const requestId = answered.headers.get("x-request-id")!;
    expect((await gw.call("/v1/feedback", { request_id: requestId, label: "alarm" })).status).toBe(202);
    await new Promise((r) => setTimeout(r, 5));
    expect((await gw.call("/v1/feedback", { request_id: requestId, label: "balance" })).status).toBe(202);
    const [first, second] = gw.feedback();
    expect(second!.id).toBe(first!.id);
    // The teacher answered this one: its label is in the record.
    expect(first!.source).toBe("teacher");
    expect(first!.teacher_label).toEqual(expect.any(String));
    await deliver([first]);
    await deliver([second]);
    await deliver([first]);
    const { results } = await db
      .prepare("SELECT label FROM feedback WHERE id = ?")
      .bind(first!.id)
      .all<{ label: string }>();
    expect(results).toEqual([{ label: "balance" }]);
  });

  it("a batch answer needs the index of its text", async () => {
    const gw = gateway();
    const answered = await gw.call("/v1/classify", { texts: [SURE, UNSURE] });
    const requestId = answered.headers.get("x-request-id")!;
    const noIndex = await gw.call("/v1/feedback", { request_id: requestId, label: "alarm" });
    expect(await noIndex.clone().text()).toContain('give \\"index\\" (0 to 1)');
    await expectError(noIndex, 400, "invalid_request");
    await expectError(
      await gw.call("/v1/feedback", { request_id: requestId, index: 2, label: "alarm" }),
      400,
      "invalid_request",
    );
    expect((await gw.call("/v1/feedback", { request_id: requestId, index: 1, label: "alarm" })).status).toBe(
      202,
    );
    expect(gw.feedback()[0]).toMatchObject({ index: 1, text: UNSURE });
  });
});

describe("the answer trail", () => {
  it("keeps /v2 answers too", async () => {
    const gw = gateway();
    const answered = await gw.call("/v2/models/clinc150/infer", {
      inputs: [{ name: "text", datatype: "BYTES", shape: [1], data: [SURE] }],
    });
    expect(answered.status).toBe(200);
    const requestId = answered.headers.get("x-request-id")!;
    expect((await gw.call("/v1/feedback", { request_id: requestId, label: "credit_score" })).status).toBe(
      202,
    );
    expect(gw.feedback()[0]).toMatchObject({ text: SURE, request_id: requestId, version: "1.0.0" });
  });

  it("is per client: one API key cannot name another's answers, even with the same request id", async () => {
    const gw = gateway({ CLIENT_AUTH: "api-key" });
    const key = async (name: string) => {
      const res = await gw.call("/admin/keys", { name }, auth);
      expect(res.status).toBe(201);
      return { "x-api-key": ((await res.json()) as { key: string }).key };
    };
    const [alice, mallory] = [await key("alice"), await key("mallory")];
    const requestId = `shared-${crypto.randomUUID()}`;
    const answered = await gw.call("/v1/classify", { text: SURE }, { ...alice, "x-request-id": requestId });
    expect(answered.headers.get("x-request-id")).toBe(requestId);
    const named = { request_id: requestId, label: "alarm" };
    await expectError(await gw.call("/v1/feedback", named, mallory), 404, "answer_not_found");
    // Mallory's own request with the same id does not overwrite Alice's entry.
    await gw.call("/v1/classify", { text: UNSURE }, { ...mallory, "x-request-id": requestId });
    expect((await gw.call("/v1/feedback", named, alice)).status).toBe(202);
    expect(gw.feedback()[0]).toMatchObject({ text: SURE, request_id: requestId });
    await expectError(await gw.call("/v1/feedback", named), 401, "unauthorized");
  });
});

describe("the consumer loses no feedback", () => {
  it("retries the batch when D1 fails, and the retry stores each record once", async () => {
    const gw = gateway();
    expect(
      (await gw.call("/v1/feedback", { text: `${SURE} ${crypto.randomUUID()}`, label: "alarm" })).status,
    ).toBe(202);
    const [record] = gw.feedback();
    const messages = [{ id: `flaky-${record!.id}`, timestamp: new Date(), attempts: 1, body: record }];
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
    const attempt = async () => {
      const batch = createMessageBatch("hard-examples", messages);
      const ctx = createExecutionContext();
      await worker.queue(batch, { ...bindings, DB: flakyDb });
      return (await getQueueResult(batch, ctx)) as { explicitAcks: string[]; retryMessages: unknown[] };
    };
    const first = await attempt();
    expect(first.explicitAcks).toEqual([]);
    expect(first.retryMessages).toHaveLength(1);
    expect(await row(record!.id)).toBeNull();
    const second = await attempt();
    expect(second.explicitAcks).toHaveLength(1);
    const { results } = await db.prepare("SELECT id FROM feedback WHERE id = ?").bind(record!.id).all();
    expect(results).toHaveLength(1);
  });

  it("dead-letters a message that claims to be feedback but is not", async () => {
    const dead: unknown[] = [];
    const dlq = {
      async send(body: unknown) {
        dead.push(body);
      },
    } as unknown as Queue<unknown>;
    const body = { kind: "feedback", label: "alarm" };
    const batch = createMessageBatch("hard-examples", [
      { id: "bad-fb", timestamp: new Date(), attempts: 1, body },
    ]);
    const ctx = createExecutionContext();
    await worker.queue(batch, { ...bindings, HARD_EXAMPLES_DLQ: dlq });
    expect(((await getQueueResult(batch, ctx)) as { explicitAcks: string[] }).explicitAcks).toEqual([
      "bad-fb",
    ]);
    expect(dead).toEqual([body]);
  });
});

describe("POST /v1/feedback by text", () => {
  it("takes the text (redacted) when no answer is named, and when the named one is not kept", async () => {
    const gw = gateway();
    expect((await gw.call("/v1/feedback", { text: "call +1 415 555 0100 now", label: "alarm" })).status).toBe(
      202,
    );
    expect(
      (await gw.call("/v1/feedback", { request_id: "gone-long-ago", text: SURE, label: "credit_score" }))
        .status,
    ).toBe(202);
    const [byText, fallback] = gw.feedback();
    expect(byText).toMatchObject({ version: null, request_id: null, index: null, source: null });
    expect(byText!.text).not.toContain("555");
    expect(fallback).toMatchObject({ request_id: "gone-long-ago", text: SURE, version: null });
  });

  it("keeps no trail with FEEDBACK_WINDOW_S = 0, and says so", async () => {
    const gw = gateway({ FEEDBACK_WINDOW_S: "0" });
    const answered = await gw.call("/v1/classify", { text: SURE });
    const requestId = answered.headers.get("x-request-id")!;
    expect(await bindings.ANSWER_TRAIL!.get(trailKey(undefined, requestId))).toBeNull();
    expect(await bindings.ANSWER_TRAIL!.get(batchKey(batchPlace(requestId)!.batchId))).toBeNull();
    const res = await gw.call("/v1/feedback", { request_id: requestId, label: "alarm" });
    await expectError(res.clone(), 404, "answer_not_found");
    expect(await res.text()).toContain("FEEDBACK_WINDOW_S = 0");
  });
});

describe("POST /v1/feedback refuses bad input with a clear 4xx", () => {
  const gw = gateway();
  const refusal = async (body: unknown, status: number, code: string) => {
    const res = await gw.call("/v1/feedback", body);
    const text = await res.clone().text();
    await expectError(res, status, code);
    return text;
  };

  it("not JSON, no label, neither request id nor text, unknown fields", async () => {
    await refusal("{", 400, "invalid_json");
    expect(await refusal({ text: SURE }, 400, "invalid_request")).toContain("label");
    expect(await refusal({ label: "alarm" }, 400, "invalid_request")).toContain('give \\"request_id\\"');
    await refusal({ text: SURE, label: "alarm", labels: ["x"] }, 400, "invalid_request");
    await refusal({ request_id: "has spaces", label: "alarm" }, 400, "invalid_request");
    await refusal({ text: "x".repeat(100_000), label: "alarm" }, 413, "payload_too_large");
  });

  it("an unknown label or model names what is allowed", async () => {
    const label = await refusal({ text: SURE, label: "no_such_label" }, 400, "unknown_label");
    expect(label).toContain("credit_score");
    expect(label).toContain("accept_reservations");
    expect(await refusal({ text: SURE, label: "alarm", model: "nope" }, 404, "model_not_found")).toContain(
      "clinc150",
    );
  });

  it("an unknown request id without text, or one answered by another model", async () => {
    expect(
      await refusal({ request_id: "never-answered", label: "alarm" }, 404, "answer_not_found"),
    ).toContain('send \\"text\\"');
    const answered = await gw.call("/v1/classify", { text: SURE });
    const requestId = answered.headers.get("x-request-id")!;
    expect(
      await refusal({ request_id: requestId, label: "spam", model: "sms-spam" }, 400, "invalid_request"),
    ).toContain('answered by model \\"clinc150\\"');
  });
});

describe("what the gateway makes of feedback", () => {
  const MODEL = "sms-spam";
  let n = 0;
  /** A feedback record of sms-spam with a text of its own and the labels given. */
  async function fake(label: string, student: string | null, teacher: string | null) {
    const text = `feedback text ${n++} ${crypto.randomUUID()}`;
    return FeedbackRecord.parse({
      kind: "feedback",
      id: await sha256Hex(`${MODEL}\nrequest\n${text}\n0`),
      example_id: await sha256Hex(`${MODEL}\n${text}`),
      ts: new Date(Date.now() - 60_000 + n).toISOString(),
      model: MODEL,
      version: "1.1.0",
      text,
      redactions: {},
      label,
      request_id: `req-${n}`,
      index: 0,
      source: teacher === null ? "student" : "teacher",
      student_label: student,
      teacher_label: teacher,
    });
  }

  it("/admin/stats: accuracy of student and teacher against feedback with Wilson intervals; the teacher's worst labels", async () => {
    const records = [
      // Student right 3 of 5; teacher known on 4, right 1: wrong twice on spam, once on ham.
      await fake("spam", "spam", "ham"),
      await fake("spam", "ham", "ham"),
      await fake("spam", "spam", null),
      await fake("ham", "ham", "spam"),
      await fake("ham", "spam", "ham"),
    ];
    expect(await deliver(records)).toHaveLength(5);
    const res = await createApp().request(`/admin/stats?model=${MODEL}`, { headers: auth }, {
      ...bindings,
      ADMIN_TOKEN: TOKEN,
    } as Env);
    expect(res.status, await res.clone().text()).toBe(200);
    const { feedback } = StatsResponse.parse(await res.json());
    const student = wilsonInterval(3, 5);
    const teacher = wilsonInterval(1, 4);
    expect(feedback).toEqual({
      samples: 5,
      student: { samples: 5, correct: 3, rate: 0.6, low: student.lo, high: student.hi, level: 0.95 },
      teacher: { samples: 4, correct: 1, rate: 0.25, low: teacher.lo, high: teacher.hi, level: 0.95 },
      teacher_errors: [
        { label: "spam", samples: 2, wrong: 2, rate: 1 },
        { label: "ham", samples: 2, wrong: 1, rate: 0.5 },
      ],
    });
  });

  it("/admin/feedback: the current records as NDJSON, oldest first", async () => {
    const res = await createApp().request(`/admin/feedback?model=${MODEL}`, { headers: auth }, {
      ...bindings,
      ADMIN_TOKEN: TOKEN,
    } as Env);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^application\/x-ndjson/);
    const records = (await res.text())
      .trimEnd()
      .split("\n")
      .map((l) => FeedbackRecord.parse(JSON.parse(l)));
    expect(records).toHaveLength(5);
    expect(records.map((r) => r.ts)).toEqual(records.map((r) => r.ts).sort());
    expect(records.every((r) => r.model === MODEL)).toBe(true);
  });
});
