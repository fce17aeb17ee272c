import { readdir } from "node:fs/promises";
import { describe, expect, it } from "vitest";
import { unstable_readConfig } from "wrangler";
import { HardExampleRecord } from "../../core/hard-example.ts";
import { sampleIndices } from "./audit.ts";
import { backoffSeconds } from "./consumer.ts";
import { buildRecord } from "./record.ts";
import { chunk, MAX_BATCH_BYTES, MAX_MESSAGES } from "./send.ts";
import { batchId, jsonl, type Pending, planObjects } from "./storage.ts";

/**
 * The hard-example log's pure parts (Node): batching for sendBatch, the audit sample, the R2 key scheme,
 * and the deployment configuration in wrangler.toml that the consumer's guarantees rely on. The parts that
 * need Queues, R2 and D1 are tested in workerd (test/workerd/hard-examples.test.ts).
 */
const served: Parameters<typeof buildRecord>[0]["model"] = {
  name: "clinc150",
  version: "1.0.0",
  normalization: { normalization: "NFKC", lowercase: true },
};

async function record(text: string, ts: string, model = "clinc150"): Promise<HardExampleRecord> {
  return buildRecord({
    model: { ...served, name: model },
    text,
    verdict: { label: "a", confidence: 0.5, probs: new Float64Array([0.5, 0.3, 0.2]) },
    teacher: null,
    route: "degraded",
    reason: "timeout",
    requestId: "r",
    at: new Date(ts),
    redaction: "log",
    loggedP: 1,
  });
}

describe("records", () => {
  it("id is SHA-256 of model and normalised logged text; the text is redacted", async () => {
    const a = await record("  Mail ME at jo@example.com ", "2026-05-01T10:00:00.000Z");
    const b = await record("mail me at  other@example.org", "2026-05-01T10:00:00.000Z");
    expect(a.text).toBe("  Mail ME at [EMAIL] ");
    expect(a.redactions).toEqual({ email: 1 });
    // Same text once redacted and normalised (case, spaces): the same example.
    expect(a.id).toBe(b.id);
    expect(a.id).not.toBe(
      (await record("mail me at jo@example.com", "2026-05-01T10:00:00.000Z", "sms-spam")).id,
    );
    expect(HardExampleRecord.parse(a)).toEqual(a);
  });
});

describe("sendBatch chunks", () => {
  it("at most 100 messages and 256 KB per call; oversized records are dropped", () => {
    const small = Array.from({ length: 250 }, (_, i) => ({ item: i, bytes: 100 }));
    const { batches } = chunk(small);
    expect(batches.map((b) => b.length)).toEqual([MAX_MESSAGES, MAX_MESSAGES, 50]);
    const big = Array.from({ length: 5 }, (_, i) => ({ item: i, bytes: 100 * 1024 }));
    const sized = chunk([...big, { item: 99, bytes: 200 * 1024 }]);
    expect(sized.dropped).toEqual([99]);
    for (const b of sized.batches)
      expect(b.length * (100 * 1024 + 1024)).toBeLessThanOrEqual(MAX_BATCH_BYTES);
    expect(sized.batches.flat()).toEqual([0, 1, 2, 3, 4]);
  });
});

describe("audit sample", () => {
  it("rate 0 takes none, rate 1 all, and a rate in between about that share", () => {
    const all = Array.from({ length: 20_000 }, (_, i) => i);
    expect(sampleIndices(all, 0)).toEqual([]);
    expect(sampleIndices(all, 1)).toEqual(all);
    const share = sampleIndices(all, 0.02).length / all.length;
    expect(share).toBeGreaterThan(0.015);
    expect(share).toBeLessThan(0.025);
  });
});

describe("R2 keys", () => {
  const pending = async (id: string, text: string, ts: string, model?: string): Promise<Pending> => ({
    messageId: id,
    record: await record(text, ts, model),
  });

  it("one object per model and day, keyed by the sorted message ids, lines in a fixed order", async () => {
    const batch = [
      await pending("m3", "three", "2026-05-01T12:00:00.000Z"),
      await pending("m1", "one", "2026-05-01T09:00:00.000Z"),
      await pending("m2", "two", "2026-05-02T00:00:01.000Z"),
      await pending("m4", "four", "2026-05-01T09:00:00.000Z", "sms-spam"),
    ];
    const plans = await planObjects(batch);
    expect(plans.map((p) => p.key)).toEqual([
      `hard-examples/clinc150/2026-05-01/${await batchId(["m1", "m3"])}.jsonl`,
      `hard-examples/clinc150/2026-05-02/${await batchId(["m2"])}.jsonl`,
      `hard-examples/sms-spam/2026-05-01/${await batchId(["m4"])}.jsonl`,
    ]);
    expect(plans[0]!.entries.map((e) => e.messageId)).toEqual(["m1", "m3"]);
    // Delivered again in another order: the same keys and the same bytes.
    const again = await planObjects([...batch].reverse());
    expect(again.map((p) => [p.key, jsonl(p.entries)]).sort()).toEqual(
      plans.map((p) => [p.key, jsonl(p.entries)]).sort(),
    );
    expect(await batchId(["b", "a"])).toBe(await batchId(["a", "b"]));
    expect(await batchId(["a", "b"])).toMatch(/^[0-9a-f]{32}$/);
    expect(await batchId(["a"])).not.toBe(await batchId(["a", "b"]));
  });

  it("a model name cannot move the key out of its prefix", async () => {
    const [plan] = await planObjects([await pending("m", "x", "2026-05-01T00:00:00.000Z", "../admin")]);
    expect(plan!.key).toMatch(/^hard-examples\/\.\.%2Fadmin\/2026-05-01\//);
  });
});

interface WranglerConfig {
  queues: {
    producers?: { binding: string; queue: string }[];
    consumers?: { queue: string; dead_letter_queue?: string; max_retries?: number }[];
  };
  r2_buckets: { binding: string }[];
  d1_databases: { binding: string; migrations_dir?: string }[];
}

describe("retries and wrangler.toml", () => {
  it("backoff doubles from 10 s and stops at an hour", () => {
    expect([1, 2, 3, 8, 9, 10, 12].map(backoffSeconds)).toEqual([10, 20, 40, 1280, 2560, 3600, 3600]);
  });

  it("binds the producer, the DLQ, the consumer with a dead-letter queue, R2 and D1 with migrations", async () => {
    // wrangler's own reader (and validator); its types do not resolve here, hence the shape below.
    const config = unstable_readConfig({ config: "wrangler.toml" }) as unknown as WranglerConfig;
    const producers = Object.fromEntries((config.queues.producers ?? []).map((p) => [p.binding, p.queue]));
    expect(producers).toMatchObject({
      HARD_EXAMPLES: "hard-examples",
      HARD_EXAMPLES_DLQ: "hard-examples-dlq",
    });
    const consumer = config.queues.consumers?.find((c) => c.queue === "hard-examples");
    expect(consumer).toMatchObject({ max_batch_size: 100, max_batch_timeout: 5, max_retries: 12 });
    // Dead letters go where the consumer's own DLQ producer sends invalid messages.
    expect(consumer!.dead_letter_queue).toBe(producers.HARD_EXAMPLES_DLQ);
    expect(config.r2_buckets.map((b) => b.binding)).toContain("HARD_EXAMPLES_BUCKET");
    const d1 = config.d1_databases.find((d) => d.binding === "DB");
    expect(d1?.migrations_dir).toBe("migrations");
    expect(await readdir("migrations")).toContain("0001_hard_examples.sql");
  });
});
