import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { describe, expect, inject, it } from "vitest";
import { HardExampleRecord } from "../../src/core/hard-example.ts";
import { createApp } from "../../src/gateway/app.ts";
import type { Env } from "../../src/gateway/bindings.ts";
import { isUsageKind } from "../../src/gateway/metrics/usage.ts";
import { envWith, kserveTeacher, post } from "./gateway-helpers.ts";

/**
 * The attacks of issue 12 on the input side, kept so that a regression fails CI, on the whole gateway in
 * workerd (cascade, redacting teacher port, hard-example log). Their neighbours, each where its fault
 * lived: the cache oracle across API keys (src/gateway/teacher-client/cache.workerd.test.ts), texts in
 * the rate limit (src/gateway/middleware/rate-limit/index.workerd.test.ts), the hourly record cap and the
 * "log as degraded first" attack on the index (hard-examples.test.ts), redaction's own cost and forms
 * (src/gateway/privacy/redact.test.ts).
 */
const teachers = inject("teachers");

/** A queue producer that keeps the records it is sent (answer counts travel on it too; dropped here). */
function recordingQueue() {
  const records: HardExampleRecord[] = [];
  const keep = (body: unknown) => {
    if (!isUsageKind(body)) records.push(HardExampleRecord.parse(body));
  };
  const queue = {
    records,
    async send(body: unknown) {
      keep(body);
    },
    async sendBatch(messages: Iterable<MessageSendRequest<unknown>>) {
      for (const m of messages) keep(m.body);
    },
  };
  return queue as typeof queue & Queue<unknown>;
}

/** The gateway with the fixture teacher, REDACTION log+teacher (redaction on the teacher's path). */
function gateway() {
  const port = kserveTeacher(teachers.healthy);
  const app = createApp({ teacher: () => port });
  const queue = recordingQueue();
  const env: Env = envWith({
    REDACTION: { "*": "log+teacher" },
    AUDIT_RATE: 0,
    USAGE_FLUSH_MS: 0, // the answer counts flushed within the request: waitOnExecutionContext need not wait
    HARD_EXAMPLES: queue,
  });
  const classify = async (texts: string[]) => {
    const ctx = createExecutionContext();
    const started = performance.now();
    const res = await app.request("/v1/classify", post({ texts, options: { teacher: "always" } }), env, ctx);
    const answerMs = performance.now() - started;
    expect(res.status, await res.clone().text()).toBe(200);
    await waitOnExecutionContext(ctx);
    // The log's work (redaction, hashing) is off the answer's path but still the isolate's CPU.
    return { answerMs, totalMs: performance.now() - started };
  };
  return { port, queue, classify };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

describe("issue 12: hostile input", () => {
  it('ReDoS: 4 texts of "+" and 3,999 digits, teacher "always", cost within 3x of prose texts', async () => {
    const { classify } = gateway();
    const length = 4000;
    const hostile = Array.from({ length: 4 }, (_, i) => `+${String(i).repeat(length - 1)}`);
    const prose = Array.from({ length: 4 }, (_, i) =>
      `order ${i} is late, please call me back about it. `.repeat(100).slice(0, length),
    );
    await classify(prose); // warm: the session loaded, the regexes compiled
    // Pairs of requests, prose then hostile: the median of the pairs' ratios, so load on the machine
    // slows both sides of a pair alike. workerd's clock has 1 ms steps: the prose side is floored at 1.
    const ratios = { answerMs: [] as number[], totalMs: [] as number[] };
    for (let round = 0; round < 5; round++) {
      const p = await classify(prose);
      const h = await classify(hostile);
      for (const part of ["answerMs", "totalMs"] as const) ratios[part].push(h[part] / Math.max(1, p[part]));
    }
    // Before the fix one such text backtracked for about a second.
    for (const part of ["answerMs", "totalMs"] as const) expect(median(ratios[part]), part).toBeLessThan(3);
  }, 120_000);

  it("Unicode forms of personal data are redacted in the record and in what the teacher sees", async () => {
    const { port, queue, classify } = gateway();
    const texts = [
      "call ＋４４ ２０ ７９４６ ０９５８ today",
      "card 4111\u00A01111\u20091111\u202F1111 please",
      "mail jane\u200B.doe＠example\u2060.com now",
    ];
    await classify(texts);
    const expected = ["call [PHONE] today", "card [CARD] please", "mail [EMAIL] now"];
    expect(port.queries.at(-1)!.texts).toEqual(expected);
    expect(queue.records.map((r) => [r.text, r.redactions])).toEqual([
      [expected[0], { phone: 1 }],
      [expected[1], { card: 1 }],
      [expected[2], { email: 1 }],
    ]);
  });
});
