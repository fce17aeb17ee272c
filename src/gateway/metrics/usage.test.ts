import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { AnswerSource, AnswerSummary } from "../answered.ts";
import { MAX_USAGE_ROWS, scoreBin, UsageBuffer, UsageFlusher, UsageMessage, usageMessages } from "./usage.ts";

/**
 * The usage counts on the producer side, without workerd: aggregation by the D1 key, the score bins,
 * the message contract, and the coalescing flush on a fake clock (so no test depends on real timing).
 */
const batch = (
  sources: AnswerSource[],
  scores: number[],
  over: Partial<AnswerSummary> = {},
): AnswerSummary => ({
  endpoint: "v1",
  model: "clinc150",
  version: "1.0.0",
  scoreKind: "margin",
  pricePerCall: 0.0005,
  texts: sources.map(() => "t"),
  answers: sources.map((source, i) => ({
    source,
    reason: source === "degraded" ? "timeout" : null,
    score: scores[i]!,
  })),
  studentMs: 1,
  teacherMs: null,
  ...over,
});

const AT = new Date("2026-11-29T11:59:59.999Z");

/** A queue producer binding that keeps what it is sent, failing the first `failures` sends. */
function recordingQueue(failures = 0) {
  const sent: unknown[][] = [];
  let left = failures;
  const queue = {
    sent,
    async send(): Promise<void> {
      throw new Error("use sendBatch");
    },
    async sendBatch(messages: Iterable<MessageSendRequest<unknown>>): Promise<void> {
      if (left-- > 0) throw new Error("queue down");
      sent.push([...messages].map((m) => m.body));
    },
  };
  return queue as typeof queue & Queue<unknown>;
}

describe("usage buffer", () => {
  it("counts one answer per text by (hour, model, version, endpoint, source), and scores in 20 bins", () => {
    const buffer = new UsageBuffer();
    buffer.add(batch(["student", "student", "teacher", "degraded"], [0.9, 0.93, 0.1, 0.2]), AT);
    buffer.add(batch(["student"], [0.95], { endpoint: "v2" }), AT);
    buffer.add(batch(["cache"], [0.12], { version: "1.0.1" }), new Date("2026-11-29T12:00:00.000Z"));
    const rows = buffer.drain();
    expect(rows.counts).toEqual([
      { hour: "2026-11-29T11", model: "clinc150", version: "1.0.0", endpoint: "v1", source: "student", n: 2 },
      { hour: "2026-11-29T11", model: "clinc150", version: "1.0.0", endpoint: "v1", source: "teacher", n: 1 },
      {
        hour: "2026-11-29T11",
        model: "clinc150",
        version: "1.0.0",
        endpoint: "v1",
        source: "degraded",
        n: 1,
      },
      { hour: "2026-11-29T11", model: "clinc150", version: "1.0.0", endpoint: "v2", source: "student", n: 1 },
      { hour: "2026-11-29T12", model: "clinc150", version: "1.0.1", endpoint: "v1", source: "cache", n: 1 },
    ]);
    // Scores are binned per (hour, model, version), whatever the endpoint.
    expect(rows.scores).toEqual([
      { hour: "2026-11-29T11", model: "clinc150", version: "1.0.0", bin: 18, n: 2 },
      { hour: "2026-11-29T11", model: "clinc150", version: "1.0.0", bin: 2, n: 1 },
      { hour: "2026-11-29T11", model: "clinc150", version: "1.0.0", bin: 4, n: 1 },
      { hour: "2026-11-29T11", model: "clinc150", version: "1.0.0", bin: 19, n: 1 },
      { hour: "2026-11-29T12", model: "clinc150", version: "1.0.1", bin: 2, n: 1 },
    ]);
    expect(buffer.empty).toBe(true);
    expect(buffer.drain()).toEqual({ counts: [], scores: [] });
  });

  it("bins as the migration says: min(19, floor(score × 20)), clamped", () => {
    expect([0, 0.049, 0.05, 0.5, 0.999, 1, 1.2, -0.1, Number.NaN].map(scoreBin)).toEqual([
      0, 0, 1, 10, 19, 19, 19, 0, 0,
    ]);
  });

  it("merging drained rows back adds them up again (a failed send loses nothing)", () => {
    const buffer = new UsageBuffer();
    buffer.add(batch(["student"], [0.9]), AT);
    const rows = buffer.drain();
    buffer.add(batch(["student", "teacher"], [0.9, 0.1]), AT);
    buffer.merge(rows);
    const counts = buffer.drain().counts.map((r) => [r.source, r.n]);
    expect(counts).toEqual([
      ["student", 2],
      ["teacher", 1],
    ]);
  });

  it("messages satisfy the consumer's schema; a window with many rows is split, rows kept whole", () => {
    const buffer = new UsageBuffer();
    for (let v = 0; v < 200; v++)
      buffer.add(batch(["student", "teacher"], [0.9, 0.1], { version: `v${v}` }), AT);
    const rows = buffer.drain(); // 400 counts + 400 scores
    let id = 0;
    const messages = usageMessages(rows, () => `00000000-0000-4000-8000-${String(++id).padStart(12, "0")}`);
    expect(messages).toHaveLength(Math.ceil(800 / MAX_USAGE_ROWS));
    for (const m of messages) expect(UsageMessage.parse(m)).toEqual(m);
    expect(new Set(messages.map((m) => m.flush_id)).size).toBe(messages.length);
    expect(messages.flatMap((m) => m.counts)).toEqual(rows.counts);
    expect(messages.flatMap((m) => m.scores)).toEqual(rows.scores);
    expect(JSON.stringify(messages[0]).length).toBeLessThan(64 * 1024);
    expect(usageMessages({ counts: [], scores: [] }, () => "x")).toEqual([]);
  });

  it("the schema mirrors the tables' CHECK constraints", () => {
    const ok = {
      kind: "usage",
      flush_id: crypto.randomUUID(),
      counts: [{ hour: "2026-11-29T11", model: "m", version: "1", endpoint: "v1", source: "student", n: 1 }],
      scores: [{ hour: "2026-11-29T11", model: "m", version: "1", bin: 19, n: 1 }],
    };
    expect(UsageMessage.safeParse(ok).success).toBe(true);
    const bad = [
      { ...ok, flush_id: "not-a-uuid" },
      { ...ok, counts: [{ ...ok.counts[0], n: 0 }] },
      { ...ok, counts: [{ ...ok.counts[0], source: "audit" }] },
      { ...ok, counts: [{ ...ok.counts[0], endpoint: "v3" }] },
      { ...ok, counts: [{ ...ok.counts[0], hour: "2026-11-29T11:00" }] },
      { ...ok, scores: [{ ...ok.scores[0], bin: 20 }] },
      { ...ok, scores: [{ ...ok.scores[0], n: 1.5 }] },
      { ...ok, extra: true },
    ];
    for (const b of bad) expect(UsageMessage.safeParse(b).success, JSON.stringify(b)).toBe(false);
  });
});

describe("usage flush (fake clock)", () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
    vi.restoreAllMocks();
  });

  const sums = (sent: unknown[][]) => {
    const counts = sent.flat().flatMap((m) => UsageMessage.parse(m).counts);
    return Object.fromEntries(
      ["student", "teacher", "cache", "degraded"].map((s) => [
        s,
        counts.filter((c) => c.source === s).reduce((n, c) => n + c.n, 0),
      ]),
    );
  };

  it("coalesces: the first answer schedules one flush USAGE_FLUSH_MS later, inside its waitUntil", async () => {
    const flusher = new UsageFlusher();
    const queue = recordingQueue();
    const held: Promise<unknown>[] = [];
    const target = { queue, flushMs: 2000, waitUntil: (p: Promise<unknown>) => held.push(p) };
    flusher.record(batch(["student", "teacher"], [0.9, 0.1]), target, AT);
    flusher.record(batch(["student"], [0.9]), target, AT);
    await vi.advanceTimersByTimeAsync(1999);
    flusher.record(batch(["degraded"], [0.1]), target, AT);
    expect(queue.sent).toEqual([]);
    expect(held).toHaveLength(1); // only the first request holds a flush
    await vi.advanceTimersByTimeAsync(1);
    await Promise.all(held);
    expect(queue.sent).toHaveLength(1);
    expect(queue.sent[0]).toHaveLength(1); // one message
    expect(sums(queue.sent)).toEqual({ student: 2, teacher: 1, cache: 0, degraded: 1 });
    // The next answer after the flush schedules the next flush.
    flusher.record(batch(["cache"], [0.1]), target, AT);
    expect(held).toHaveLength(2);
    await vi.advanceTimersByTimeAsync(2000);
    await Promise.all(held);
    expect(queue.sent).toHaveLength(2);
    expect(sums([queue.sent[1]!])).toEqual({ student: 0, teacher: 0, cache: 1, degraded: 0 });
  });

  it("USAGE_FLUSH_MS 0 flushes within each request", async () => {
    const flusher = new UsageFlusher();
    const queue = recordingQueue();
    const held: Promise<unknown>[] = [];
    const target = { queue, flushMs: 0, waitUntil: (p: Promise<unknown>) => held.push(p) };
    flusher.record(batch(["student"], [0.9]), target, AT);
    await Promise.all(held);
    flusher.record(batch(["teacher"], [0.1]), target, AT);
    await Promise.all(held);
    expect(queue.sent.map((s) => sums([s]))).toEqual([
      { student: 1, teacher: 0, cache: 0, degraded: 0 },
      { student: 0, teacher: 1, cache: 0, degraded: 0 },
    ]);
  });

  it("a failed send is retried within the same flush, 1 s and then 4 s later", async () => {
    const flusher = new UsageFlusher();
    const queue = recordingQueue(2);
    const held: Promise<unknown>[] = [];
    const target = { queue, flushMs: 100, waitUntil: (p: Promise<unknown>) => held.push(p) };
    flusher.record(batch(["student", "degraded"], [0.9, 0.1]), target, AT);
    await vi.advanceTimersByTimeAsync(100 + 1000);
    expect(queue.sent).toEqual([]); // second attempt failed too
    await vi.advanceTimersByTimeAsync(4000);
    await Promise.all(held);
    expect(queue.sent).toHaveLength(1);
    expect(sums(queue.sent)).toEqual({ student: 1, teacher: 0, cache: 0, degraded: 1 });
  });

  it("after three failed attempts the counts wait for the next flush, under a new flush id", async () => {
    vi.spyOn(console, "error").mockImplementation(() => {});
    const flusher = new UsageFlusher();
    const queue = recordingQueue(3);
    const held: Promise<unknown>[] = [];
    const target = { queue, flushMs: 100, waitUntil: (p: Promise<unknown>) => held.push(p) };
    flusher.record(batch(["student", "student"], [0.9, 0.9]), target, AT);
    await vi.advanceTimersByTimeAsync(100 + 1000 + 4000);
    await Promise.all(held);
    expect(queue.sent).toEqual([]);
    expect(console.error).toHaveBeenCalledWith(
      expect.stringMatching(/^usage: flush failed/),
      expect.any(Error),
    );
    flusher.record(batch(["teacher"], [0.1]), target, AT);
    await vi.advanceTimersByTimeAsync(100);
    await Promise.all(held);
    expect(sums(queue.sent)).toEqual({ student: 2, teacher: 1, cache: 0, degraded: 0 });
  });

  it("keeps one buffer per queue binding", async () => {
    const flusher = new UsageFlusher();
    const [a, b] = [recordingQueue(), recordingQueue()];
    const held: Promise<unknown>[] = [];
    const waitUntil = (p: Promise<unknown>) => held.push(p);
    flusher.record(batch(["student"], [0.9]), { queue: a, flushMs: 10, waitUntil }, AT);
    flusher.record(batch(["teacher"], [0.1]), { queue: b, flushMs: 10, waitUntil }, AT);
    await vi.advanceTimersByTimeAsync(10);
    await Promise.all(held);
    expect(sums(a.sent).student).toBe(1);
    expect(sums(b.sent)).toEqual({ student: 0, teacher: 1, cache: 0, degraded: 0 });
  });
});
