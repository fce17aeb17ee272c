import { describe, expect, it } from "vitest";
import { isHeldOut } from "../../core/holdout.ts";
import { record } from "../gateway-client/testing.ts";
import { answerSet } from "./answers.ts";

const LABELS = ["a", "b", "c"];
const normalization = { normalization: "NFKC", lowercase: true } as const;
const texts = Array.from({ length: 200 }, (_, i) => `question number ${i} about ${["a", "b", "c"][i % 3]}`);
const records = texts.map((text, i) =>
  record(text, { label: LABELS[i % 3]!, ...(i % 2 === 0 ? { probs: [0.7, 0.2, 0.1] } : {}) }),
);
const build = (overrides: Partial<Parameters<typeof answerSet>[1]> = {}, input = records) =>
  answerSet(input, {
    labels: LABELS,
    trustProbs: true,
    holdout: 0.2,
    normalization,
    labelled: [],
    ...overrides,
  });

describe("answerSet: training data and held-out slice from logged teacher answers", () => {
  it("holds out the records the hash of their id picks, and never trains on them", () => {
    const set = build();
    const heldIds = new Set(records.filter((r) => isHeldOut(r.id, 0.2)).map((r) => r.id));
    expect(heldIds.size).toBeGreaterThan(20);
    expect(set.heldOut.map((e) => e.id).sort()).toEqual([...heldIds].sort());
    const trainedTexts = new Set(set.train.map((e) => e.text));
    for (const held of set.heldOut) expect(trainedTexts.has(held.text)).toBe(false);
    expect(set.train).toHaveLength(records.length - heldIds.size);
    expect(set.stats).toMatchObject({
      records: 200,
      used: 200,
      heldOutSlice: heldIds.size,
      trained: set.train.length,
    });
  });

  it("keeps every duplicate of a held-out text out of training: same id, or same normalised text", () => {
    const held = records.find((r) => isHeldOut(r.id))!;
    const sameId = record(held.text.toUpperCase(), {
      label: "c",
      ts: "2026-02-01T00:00:00.000Z",
      id: held.id,
    });
    // A record of the same text under another id (a gateway hashing another normalisation).
    const otherId = record(`  ${held.text.toUpperCase()}  `, { label: "c", id: "f".repeat(64) });
    expect(isHeldOut(otherId.id)).toBe(false);
    const set = build({}, [...records, sameId, otherId]);
    const norm = (t: string) => t.trim().toLowerCase();
    expect(set.train.some((e) => norm(e.text) === norm(held.text))).toBe(false);
    expect(set.heldOut.filter((e) => e.id === held.id)).toHaveLength(1);
    expect(set.stats.sameTextAsHeldOut).toBe(1);
    expect(set.stats.duplicateIds).toBe(1);
  });

  it("adds labelled examples with their gold label, except those of a held-out text", () => {
    const held = records.find((r) => isHeldOut(r.id))!;
    const trained = records.find((r) => !isHeldOut(r.id))!;
    const labelled = [
      { text: "a brand new labelled text", label: "b" },
      { text: held.text, label: "a" },
      { text: trained.text, label: "c" },
    ];
    const set = build({ labelled });
    expect(set.labelled).toEqual([labelled[0], labelled[2]]);
    expect(set.stats).toMatchObject({ labelled: 2, labelledHeldOut: 1, inLabelled: 1 });
    // The gold label wins over the logged answer for the same text.
    expect(set.train.some((e) => e.text === trained.text)).toBe(false);
  });

  it("learns the teacher's probabilities where it logged them, a one-hot of its label otherwise", () => {
    const set = build();
    const soft = set.train.find((e) => e.soft)!;
    expect(Array.from(soft.target)).toEqual([0.7, 0.2, 0.1].map((p) => Math.fround(p)));
    const hard = set.train.find((e) => !e.soft)!;
    expect(Array.from(hard.target).filter((p) => p === 1)).toHaveLength(1);
    expect(hard.target[hard.label]).toBe(1);
    expect(set.stats.trainedSoft).toBe(set.train.filter((e) => e.soft).length);
    expect(set.stats.trainedSoft).toBeGreaterThan(0);
    expect(set.stats.trainedSoft).toBeLessThan(set.train.length);
  });

  it("ignores logged probabilities whose label order is unknown (labels read off the records)", () => {
    const set = build({ trustProbs: false });
    expect(set.train.every((e) => !e.soft)).toBe(true);
    expect(set.stats.trainedSoft).toBe(0);
  });

  it("skips records without a teacher answer or with a label outside the set, and copes with no student", () => {
    const set = build({}, [
      record("the teacher failed here", { label: null, route: "degraded" }),
      record("an answer outside the label set", { label: "zzz" }),
      record("a model with no student yet", { label: "b", student: null }),
    ]);
    expect(set.stats).toMatchObject({ records: 3, used: 1, noTeacher: 1, unknownLabel: 1 });
    expect([...set.train, ...set.heldOut].map((e) => e.text)).toEqual(["a model with no student yet"]);
  });
});
