import { describe, expect, it } from "vitest";
import { mulberry32 } from "../../core/random.ts";
import { softmax } from "../../core/softmax.ts";
import { fitTemperature, negativeLogLikelihood } from "./temperature.ts";

/**
 * Logits z and labels drawn from softmax(z / T*): the model is miscalibrated by exactly T*, so
 * temperature scaling should find T ≈ T*.
 */
function sample(trueT: number, n: number, classes: number, seed: number) {
  const rng = mulberry32(seed);
  const logits: Float32Array[] = [];
  const labels = new Int32Array(n);
  const p = new Float64Array(classes);
  for (let i = 0; i < n; i++) {
    const z = Float32Array.from({ length: classes }, () => (rng() * 2 - 1) * 4);
    softmax(z, p, trueT);
    let u = rng();
    let y = 0;
    while (y < classes - 1 && u >= p[y]!) u -= p[y++]!;
    logits.push(z);
    labels[i] = y;
  }
  return { logits, labels };
}

describe("fitTemperature", () => {
  it.each([0.5, 2, 4])("recovers T* = %f from labels drawn at that temperature", (trueT) => {
    const { logits, labels } = sample(trueT, 4000, 5, 1000 + trueT * 10);
    const fitted = fitTemperature(logits, labels);
    expect(Math.abs(fitted - trueT) / trueT).toBeLessThan(0.1);

    // The fitted temperature is the NLL minimum: no worse than T=1 or T*±0.5.
    const nll = (t: number) => negativeLogLikelihood(logits, labels, t);
    const best = nll(fitted);
    for (const t of [1, trueT - 0.5, trueT + 0.5]) if (t > 0) expect(best).toBeLessThanOrEqual(nll(t));
    for (const t of [0.9 * fitted, 1.1 * fitted]) expect(best).toBeLessThanOrEqual(nll(t));
  });

  it("heats a model that is always right towards the lower bound", () => {
    const logits = [Float32Array.from([3, 0, 0]), Float32Array.from([0, 2, 0]), Float32Array.from([0, 0, 1])];
    const labels = Int32Array.from([0, 1, 2]);
    expect(fitTemperature(logits, labels)).toBeLessThan(0.06);
    expect(fitTemperature(logits, labels, { minT: 0.5, maxT: 5 })).toBeCloseTo(0.5, 2);
  });

  it("finds an optimum inside narrow bounds exactly: right 3 times in 4 at a logit gap of 2 is T = 2 / ln 3", () => {
    // σ(2 / T) = 3/4 minimises the NLL. With bounds [1, 3] the golden section must start inside them.
    const logits = Array.from({ length: 4 }, () => Float32Array.from([2, 0]));
    const labels = Int32Array.from([0, 0, 0, 1]);
    expect(fitTemperature(logits, labels, { minT: 1, maxT: 3 })).toBeCloseTo(2 / Math.log(3), 3);
    expect(fitTemperature(logits, labels)).toBeCloseTo(2 / Math.log(3), 3);
  });

  it("cools a model that is confidently wrong half the time towards the upper bound", () => {
    const logits = [Float32Array.from([5, 0]), Float32Array.from([5, 0])];
    const labels = Int32Array.from([0, 1]);
    // Best is uniform probabilities: T → ∞, stopped by maxT.
    expect(fitTemperature(logits, labels, { minT: 0.05, maxT: 10 })).toBeGreaterThan(9.5);
  });
});

describe("negativeLogLikelihood", () => {
  it("is the mean −log p(label) at the given temperature", () => {
    const logits = [Float32Array.from([2, 0]), Float32Array.from([0, 0])];
    const labels = Int32Array.from([0, 1]);
    const at1 = (Math.log(1 + Math.exp(-2)) + Math.LN2) / 2;
    const at2 = (Math.log(1 + Math.exp(-1)) + Math.LN2) / 2;
    expect(negativeLogLikelihood(logits, labels, 1)).toBeCloseTo(at1, 12);
    expect(negativeLogLikelihood(logits, labels, 2)).toBeCloseTo(at2, 12);
    expect(negativeLogLikelihood([], new Int32Array(0), 1)).toBe(0);
  });

  it("weights each example: a weight of 3 counts as three copies", () => {
    const logits = [Float32Array.from([2, 0]), Float32Array.from([0, 1])];
    const labels = Int32Array.from([0, 0]);
    const copies = [logits[0]!, logits[1]!, logits[1]!, logits[1]!];
    const weighted = negativeLogLikelihood(logits, labels, 1.5, [1, 3]);
    expect(weighted).toBeCloseTo(negativeLogLikelihood(copies, Int32Array.from([0, 0, 0, 0]), 1.5), 12);
    expect(weighted).not.toBeCloseTo(negativeLogLikelihood(logits, labels, 1.5), 3);
  });

  it("is 0, not NaN, when no example carries weight", () => {
    const logits = [Float32Array.from([2, 0]), Float32Array.from([0, 1])];
    expect(negativeLogLikelihood(logits, Int32Array.from([0, 1]), 1, [0, 0])).toBe(0);
  });
});

describe("fitTemperature with weights", () => {
  it("fits the weighted NLL: up-weighting the confidently wrong example cools the model", () => {
    const logits = [Float32Array.from([4, 0]), Float32Array.from([4, 0]), Float32Array.from([0, 4])];
    const labels = Int32Array.from([0, 1, 1]);
    const plain = fitTemperature(logits, labels);
    const weighted = fitTemperature(logits, labels, undefined, 60, [1, 10, 1]);
    expect(weighted).toBeGreaterThan(plain);
  });
});
