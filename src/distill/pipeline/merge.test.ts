import { describe, expect, it } from "vitest";
import { feedbackRecord, record } from "../gateway-client/testing.ts";
import { mergeHardExamples, targetLogits } from "./merge.ts";

const LABELS = ["a", "b", "oos"];
const NORM = { normalization: "NFKC", lowercase: true } as const;
const base = {
  train: [{ text: "Gold text", label: "b" }],
  val: [{ text: "a validation text", label: "a" }],
  test: [{ text: "a test text", label: "a" }],
};
const merge = (records: ReturnType<typeof record>[]) => mergeHardExamples(base, LABELS, records, NORM);

describe("mergeHardExamples", () => {
  it("uses the teacher's logged probabilities as the soft target, renormalised", () => {
    const { examples, stats } = merge([record("new text", { label: "b", probs: [0.1, 0.6, 0.1] })]);
    expect(stats.used).toBe(1);
    expect(examples[0]!.label).toBe(1);
    expect(Array.from(examples[0]!.target)).toEqual([0.125, 0.75, 0.125].map(Math.fround));
  });

  it("falls back to a one-hot of the teacher's label without probs, or with probs of the wrong length", () => {
    const { examples, stats } = merge([
      record("no probs", { label: "oos", probs: null }),
      record("absent probs", { label: "a" }),
      record("short probs", { label: "b", probs: [0.5, 0.5] }),
    ]);
    expect(stats.oneHot).toBe(3);
    const byText = Object.fromEntries(examples.map((e) => [e.text, Array.from(e.target)]));
    expect(byText).toEqual({ "no probs": [0, 0, 1], "absent probs": [1, 0, 0], "short probs": [0, 1, 0] });
  });

  it("skips records without a teacher answer (degraded) and counts them", () => {
    const { examples, stats } = merge([
      record("timed out", { route: "degraded", label: null }),
      record("answered", { route: "teacher" }),
    ]);
    expect(examples.map((e) => e.text)).toEqual(["answered"]);
    expect(stats).toMatchObject({ records: 2, used: 1, noTeacher: 1 });
    expect(stats.byRoute).toEqual({ teacher: 1, degraded: 0, cache: 0, audit: 0 });
  });

  it("keeps one example per record id: the newest with a teacher answer", () => {
    const id = "f".repeat(64);
    const { examples, stats } = merge([
      record("same", { id, label: "a", ts: "2026-01-01T00:00:00Z" }),
      record("same", { id, label: "b", ts: "2026-01-03T00:00:00Z" }),
      record("same", { id, label: null, route: "degraded", ts: "2026-01-05T00:00:00Z" }),
      record("same", { id, label: "oos", ts: "2026-01-02T00:00:00Z" }),
    ]);
    expect(stats.duplicateIds).toBe(3);
    expect(examples).toHaveLength(1);
    expect(examples[0]!.label).toBe(1);
  });

  it("lets a base example win over a logged one with the same normalised text", () => {
    const { examples, stats } = merge([record("  GOLD   text "), record("other")]);
    expect(examples.map((e) => e.text)).toEqual(["other"]);
    expect(stats.inBaseTrain).toBe(1);
  });

  it("never trains on a text of the validation or test split", () => {
    const { examples, stats } = merge([record("A Test Text"), record("a validation text")]);
    expect(examples).toEqual([]);
    expect(stats.heldOut).toBe(2);
  });

  it("weighs audit records like the rest", () => {
    const { examples, stats } = merge([
      record("audited", { route: "audit" }),
      record("escalated", { route: "teacher" }),
      record("cached", { route: "cache" }),
    ]);
    expect(examples.map((e) => [e.route, e.weight]).sort()).toEqual([
      ["audit", 1],
      ["cache", 1],
      ["teacher", 1],
    ]);
    expect(stats.byRoute).toEqual({ teacher: 1, degraded: 0, cache: 1, audit: 1 });
  });

  it("skips a teacher label outside the model's labels", () => {
    expect(merge([record("x", { label: "zzz" })]).stats.unknownLabel).toBe(1);
  });

  it("orders examples by id, whatever order the gateway sent them in", () => {
    const records = ["p", "q", "r", "s"].map((t) => record(t));
    const forward = merge(records).examples.map((e) => e.id);
    expect(merge([...records].reverse()).examples.map((e) => e.id)).toEqual(forward);
  });
});

describe("targetLogits", () => {
  it("gives back the distribution under softmax, with zeros kept finite", () => {
    const z = targetLogits(Float32Array.from([0.2, 0.8, 0]));
    const e = Array.from(z, Math.exp);
    const sum = e.reduce((s, x) => s + x, 0);
    expect(e[0]! / sum).toBeCloseTo(0.2, 5);
    expect(e[1]! / sum).toBeCloseTo(0.8, 5);
    expect(Number.isFinite(z[2]!)).toBe(true);
  });

  describe("feedback labels outrank the teacher's", () => {
    const withFeedback = (
      records: ReturnType<typeof record>[],
      feedback: ReturnType<typeof feedbackRecord>[],
    ) => mergeHardExamples(base, LABELS, records, NORM, feedback);

    it("relabels a logged text with its newest feedback label, one-hot, whatever the teacher said", () => {
      const { examples, stats } = withFeedback(
        [record("logged text", { label: "b", probs: [0.1, 0.8, 0.1] }), record("other", { label: "a" })],
        [
          feedbackRecord("logged text", "a", "2026-01-02T00:00:00.000Z"),
          feedbackRecord("logged text", "oos", "2026-01-03T00:00:00.000Z"),
        ],
      );
      const logged = examples.find((e) => e.text === "logged text")!;
      expect(logged).toMatchObject({ label: 2, soft: false, route: "teacher" });
      expect(Array.from(logged.target)).toEqual([0, 0, 1]);
      expect(examples.find((e) => e.text === "other")!.label).toBe(0);
      expect(stats.feedback).toEqual({ records: 1, relabelled: 1, overruled: 1, added: 0, skipped: 0 });
      expect(stats.used).toBe(2);
    });

    it("gives a degraded text (no teacher answer) its feedback label", () => {
      const { examples, stats } = withFeedback(
        [record("timed out", { route: "degraded", label: null })],
        [feedbackRecord("timed out", "b")],
      );
      expect(examples).toHaveLength(1);
      expect(examples[0]).toMatchObject({ label: 1, route: "degraded" });
      expect(stats).toMatchObject({ noTeacher: 0, feedback: { relabelled: 1, overruled: 1 } });
    });

    it("adds texts only feedback named; skips base, held-out texts and unknown labels", () => {
      const { examples, stats } = withFeedback(
        [],
        [
          feedbackRecord("never logged", "b"),
          feedbackRecord("Gold text", "a"),
          feedbackRecord("a validation text", "b"),
          feedbackRecord("bad label", "zzz"),
        ],
      );
      expect(examples.map((e) => [e.text, e.label, e.route])).toEqual([["never logged", 1, "feedback"]]);
      expect(stats.feedback).toEqual({ records: 4, relabelled: 0, overruled: 0, added: 1, skipped: 3 });
    });
  });
});
