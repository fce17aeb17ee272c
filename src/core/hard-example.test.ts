import { describe, expect, it } from "vitest";
import { HardExampleRecord, weightOf } from "./hard-example.ts";

const base = {
  id: "0".repeat(64),
  ts: "2026-01-01T00:00:00.000Z",
  model: "m",
  version: "1.0.0",
  text: "hello",
  redactions: {},
  student: { label: "a", confidence: 0.9, probs: [0.9, 0.1] },
  teacher: { label: "a", confidence: 0.8, protocol: "openai", latency_ms: 12 },
  route: "audit",
  reason: "audit",
  request_id: "req",
} as const;

describe("the probability that a record was logged", () => {
  it("is optional: records written before it existed still parse and weigh 1", () => {
    const old = HardExampleRecord.parse(base);
    expect(old.logged_p).toBeUndefined();
    expect(weightOf(old)).toBe(1);
  });

  it("weighs a record by its inverse: an audited answer at a 5% audit rate speaks for 20", () => {
    expect(weightOf(HardExampleRecord.parse({ ...base, logged_p: 0.05 }))).toBeCloseTo(20, 12);
    expect(weightOf(HardExampleRecord.parse({ ...base, route: "teacher", logged_p: 1 }))).toBe(1);
  });

  it("is a probability in (0, 1]: 0 would be an infinite weight", () => {
    for (const logged_p of [0, -0.1, 1.5, Number.NaN])
      expect(HardExampleRecord.safeParse({ ...base, logged_p }).success, String(logged_p)).toBe(false);
  });
});
