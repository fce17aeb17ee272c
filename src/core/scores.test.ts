import { describe, expect, it } from "vitest";
import { confidenceScore, margin, maxProb, negEntropy, SCORE_KINDS, ScoreKind } from "./scores.ts";

describe("confidence scores", () => {
  it("max_prob is the top probability", () => {
    expect(maxProb([0.1, 0.7, 0.2])).toBeCloseTo(0.7, 12);
    expect(maxProb([0, 1, 0])).toBe(1);
    expect(maxProb([0.25, 0.25, 0.25, 0.25])).toBe(0.25);
  });

  it("margin is top-1 minus top-2, wherever they sit", () => {
    expect(margin([0.1, 0.7, 0.2])).toBeCloseTo(0.5, 12);
    expect(margin([0.2, 0.1, 0.7])).toBeCloseTo(0.5, 12);
    expect(margin([0.7, 0.2, 0.1])).toBeCloseTo(0.5, 12);
    expect(margin([0, 1, 0])).toBe(1);
    // A tie for first place is no margin at all.
    expect(margin([0.45, 0.1, 0.45])).toBe(0);
    expect(margin([0.5, 0.5])).toBe(0);
  });

  it("negEntropy is 1 for one-hot, 0 for uniform, and known in between", () => {
    expect(negEntropy([0, 0, 1, 0])).toBe(1);
    expect(negEntropy([0.25, 0.25, 0.25, 0.25])).toBeCloseTo(0, 12);
    expect(negEntropy([0.5, 0.5])).toBeCloseTo(0, 12);
    // H(½, ½, 0, 0) = log 2 of a maximum log 4: halfway.
    expect(negEntropy([0.5, 0.5, 0, 0])).toBeCloseTo(0.5, 12);
    const p = [0.7, 0.2, 0.1];
    const h = -p.reduce((s, x) => s + x * Math.log(x), 0);
    expect(negEntropy(p)).toBeCloseTo(1 - h / Math.log(3), 12);
    // A single class is trivially certain.
    expect(negEntropy([1])).toBe(1);
  });

  it("every score grows as the answer sharpens", () => {
    const soft = [0.4, 0.35, 0.25];
    const sharp = [0.8, 0.15, 0.05];
    for (const kind of SCORE_KINDS) {
      expect(confidenceScore(kind, sharp), kind).toBeGreaterThan(confidenceScore(kind, soft));
    }
  });

  it("confidenceScore dispatches on the kind, and the kinds are exactly the manifest's", () => {
    const p = [0.1, 0.7, 0.2];
    expect(confidenceScore("max_prob", p)).toBe(maxProb(p));
    expect(confidenceScore("margin", p)).toBe(margin(p));
    expect(confidenceScore("entropy", p)).toBe(negEntropy(p));
    expect(SCORE_KINDS).toEqual(["max_prob", "margin", "entropy"]);
    expect(ScoreKind.safeParse("neg_entropy").success).toBe(false);
  });
});
