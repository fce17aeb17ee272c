import { describe, expect, it } from "vitest";
import {
  effectiveSampleSize,
  expectedCalibrationError,
  normalQuantile,
  reliabilityBins,
  weightedProportion,
  wilsonInterval,
} from "./metrics.ts";

/** `n` examples at confidence `c`, the first `hits` of them correct. */
function group(c: number, n: number, hits: number): { confidence: number[]; correct: boolean[] } {
  return { confidence: Array(n).fill(c), correct: Array.from({ length: n }, (_, i) => i < hits) };
}

function concat(...groups: { confidence: number[]; correct: boolean[] }[]) {
  return { confidence: groups.flatMap((g) => g.confidence), correct: groups.flatMap((g) => g.correct) };
}

describe("reliabilityBins", () => {
  it("splits [0, 1] into equal-width bins with per-bin count, mean confidence and accuracy", () => {
    const data = concat(group(0.15, 2, 1), group(0.95, 4, 3));
    const bins = reliabilityBins(data.confidence, data.correct, 10);
    expect(bins).toHaveLength(10);
    bins.forEach((b, i) => {
      expect(b.lo).toBeCloseTo(i / 10, 12);
      expect(b.hi).toBeCloseTo((i + 1) / 10, 12);
    });
    expect(bins[1]).toMatchObject({ count: 2, accuracy: 0.5 });
    expect(bins[1]!.confidence).toBeCloseTo(0.15, 12);
    expect(bins[9]).toMatchObject({ count: 4, accuracy: 0.75 });
    expect(bins[9]!.confidence).toBeCloseTo(0.95, 12);
    // Empty bins report zeros rather than NaN.
    for (const i of [0, 2, 3, 4, 5, 6, 7, 8])
      expect(bins[i]).toMatchObject({ count: 0, confidence: 0, accuracy: 0 });
  });

  it("puts a confidence of exactly 1 in the last bin and 0 in the first", () => {
    const bins = reliabilityBins([1, 1, 0], [true, false, false]);
    expect(bins).toHaveLength(15);
    expect(bins[14]).toMatchObject({ count: 2, confidence: 1, accuracy: 0.5 });
    expect(bins[0]).toMatchObject({ count: 1, confidence: 0, accuracy: 0 });
  });

  it("puts a confidence on a bin edge in the bin that starts there", () => {
    const bins = reliabilityBins([0.2, 0.5, 0.7], [true, true, true], 10);
    expect(bins.map((b) => b.count)).toEqual([0, 0, 1, 0, 0, 1, 0, 1, 0, 0]);
  });
});

describe("expectedCalibrationError", () => {
  it("is 0 when every bin's accuracy equals its confidence", () => {
    const data = concat(group(0.8, 10, 8), group(0.6, 5, 3), group(1, 4, 4), group(0.5, 2, 1));
    expect(expectedCalibrationError(reliabilityBins(data.confidence, data.correct))).toBeCloseTo(0, 12);
  });

  it("equals the mean confidence when every answer is confidently wrong", () => {
    const data = concat(group(0.9, 6, 0), group(0.99, 4, 0));
    expect(expectedCalibrationError(reliabilityBins(data.confidence, data.correct))).toBeCloseTo(
      (6 * 0.9 + 4 * 0.99) / 10,
      12,
    );
  });

  it("weights each bin's gap by its share of the examples", () => {
    // Bin 1: conf 0.15, acc 0.5 (gap 0.35, 2 of 6); bin 9: conf 0.95, acc 0.75 (gap 0.2, 4 of 6).
    const data = concat(group(0.15, 2, 1), group(0.95, 4, 3));
    const ece = expectedCalibrationError(reliabilityBins(data.confidence, data.correct, 10));
    expect(ece).toBeCloseTo((2 / 6) * 0.35 + (4 / 6) * 0.2, 12);
  });

  it("is 0 for no examples", () => {
    expect(expectedCalibrationError(reliabilityBins([], []))).toBe(0);
  });
});

describe("wilsonInterval", () => {
  // Newcombe (1998), "Two-sided confidence intervals for the single proportion", Table I, method 3.
  it.each([
    [0, 10, 0, 0.2775],
    [5, 10, 0.2366, 0.7634],
    [10, 10, 0.7225, 1],
    [81, 263, 0.2553, 0.3662],
    [15, 148, 0.0624, 0.1605],
    [0, 20, 0, 0.1611],
    [1, 29, 0.0061, 0.1718],
    [29, 29, 0.883, 1],
  ])("%i/%i → [%f, %f]", (successes, n, lo, hi) => {
    const ci = wilsonInterval(successes, n);
    expect(ci.lo).toBeCloseTo(lo, 4);
    expect(ci.hi).toBeCloseTo(hi, 4);
  });

  it("stays within [0, 1], contains the observed proportion and narrows with more data", () => {
    for (const [s, n] of [
      [0, 1],
      [1, 1],
      [3, 7],
      [999, 1000],
    ] as const) {
      const { lo, hi } = wilsonInterval(s, n);
      expect(lo).toBeGreaterThanOrEqual(0);
      expect(hi).toBeLessThanOrEqual(1);
      expect(lo).toBeLessThanOrEqual(s / n);
      expect(hi).toBeGreaterThanOrEqual(s / n);
    }
    const small = wilsonInterval(5, 10);
    const large = wilsonInterval(500, 1000);
    expect(large.hi - large.lo).toBeLessThan(small.hi - small.lo);
  });

  it("widens with z and knows nothing from no trials", () => {
    const z95 = wilsonInterval(5, 10);
    const z99 = wilsonInterval(5, 10, 2.576);
    expect(z99.hi - z99.lo).toBeGreaterThan(z95.hi - z95.lo);
    expect(wilsonInterval(0, 0)).toEqual({ lo: 0, hi: 1 });
  });
});

describe("weighted proportions", () => {
  it("Kish n_eff is n for equal weights and (Σw)²/Σw² otherwise", () => {
    expect(effectiveSampleSize([2, 2, 2, 2])).toBeCloseTo(4, 12);
    // One record at weight 10 among ten at 1: (20)² / (10 + 100) ≈ 3.64, far below 11.
    expect(effectiveSampleSize([10, ...Array(10).fill(1)])).toBeCloseTo(400 / 110, 12);
    expect(effectiveSampleSize([])).toBe(0);
  });

  it("is the ordinary Wilson interval when every weight is equal", () => {
    const n = effectiveSampleSize(Array(50).fill(3));
    expect(weightedProportion(0.8, n)).toEqual({ value: 0.8, ...wilsonInterval(40, 50) });
  });

  it("widens as the weights grow uneven", () => {
    const even = weightedProportion(0.9, 100);
    const uneven = weightedProportion(0.9, 25);
    expect(uneven.hi - uneven.lo).toBeGreaterThan(even.hi - even.lo);
    expect(even.lo).toBeLessThan(0.9);
    expect(even.hi).toBeGreaterThan(0.9);
  });
});

describe("normalQuantile", () => {
  it("is Φ⁻¹: the z of the usual confidence levels, symmetric, monotone into both tails", () => {
    expect(normalQuantile(0.5)).toBeCloseTo(0, 9);
    expect(normalQuantile(0.95)).toBeCloseTo(1.6448536, 6);
    expect(normalQuantile(0.975)).toBeCloseTo(1.959964, 6);
    expect(normalQuantile(0.999)).toBeCloseTo(3.090232, 5);
    expect(normalQuantile(0.01)).toBeCloseTo(-normalQuantile(0.99), 9);
    expect(normalQuantile(0.001)).toBeLessThan(normalQuantile(0.02));
  });
});
