import { describe, expect, it } from "vitest";
import {
  DEFERRAL_FEATURE_COUNT,
  deferralFeatures,
  disagreementLogit,
  LearnedDeferral,
  sigmoid,
} from "../../core/deferral.ts";
import { mulberry32 } from "../../core/random.ts";
import { trainDeferral } from "./deferral.ts";
import type { LoggedOutputs } from "./logged-outputs.ts";
import { calibratedRecords, outputsOf, probsOf } from "./testing.ts";

/** Records whose disagreement really follows a known logistic model of the features. */
function fromKnownModel(n: number, seed: number, truth: LearnedDeferral): LoggedOutputs {
  const rng = mulberry32(seed);
  return outputsOf(
    Array.from({ length: n }, () => {
      const top = 0.25 + 0.7 * rng();
      const runnerUp = Math.min((1 - top) * rng(), 0.9 * top);
      const p = probsOf(0, top, runnerUp, 6);
      return { top, runnerUp, agrees: rng() >= sigmoid(disagreementLogit(truth, p)), weight: 1 };
    }),
    6,
  );
}

describe("trainDeferral", () => {
  it("recovers the disagreement probabilities of a known logistic model", () => {
    const truth: LearnedDeferral = { features: 1, weights: [-4, 0, 0, 0, 1.5, 0], bias: 3 };
    // 5000 records: a mean error of 0.0099, half the bound (20,000 gave 0.004 at four times the cost,
    // which a mutation run pays for every mutant of the fit).
    const model = trainDeferral(fromKnownModel(5000, 1, truth))!;
    expect(LearnedDeferral.safeParse(model).success).toBe(true);
    // Weights of correlated features are not identifiable; the probabilities they give are.
    const test = fromKnownModel(2000, 2, truth);
    let error = 0;
    for (const p of test.probs)
      error += Math.abs(sigmoid(disagreementLogit(model, p)) - sigmoid(disagreementLogit(truth, p)));
    expect(error / test.probs.length).toBeLessThan(0.02);
  });

  it("is calibrated in the large: the weighted mean prediction is the weighted disagreement rate", () => {
    const train = outputsOf(calibratedRecords(3000, 5, (top) => (top > 0.7 ? 8 : 1)));
    const model = trainDeferral(train)!;
    let predicted = 0;
    let observed = 0;
    let total = 0;
    train.probs.forEach((p, i) => {
      const w = train.weight[i]!;
      predicted += w * sigmoid(disagreementLogit(model, p));
      observed += w * Number(train.teacherLabel[i] !== 0);
      total += w;
    });
    // The bias is not regularised, so its gradient Σ w (μ − y) is zero at the optimum.
    expect(predicted / total).toBeCloseTo(observed / total, 6);
  });

  it("regularises the standardised weights: at the optimum Σ w (μ − y) φ_j / Σw = −λ·θ_j·s_j² per feature", () => {
    // The documented objective's optimality conditions in raw features: θ_j·x_j = (θ_j / s_j)(φ_j − m_j), and
    // the unregularised bias makes Σ w (μ − y) = 0, so the means drop out but each deviation s_j does not.
    const l2 = 0.05;
    const train = outputsOf(calibratedRecords(400, 13, (top) => (top > 0.7 ? 3 : 1)));
    const model = trainDeferral(train, { l2, maxIterations: 100 })!;
    const F = DEFERRAL_FEATURE_COUNT;
    const phi = train.probs.map((p) => deferralFeatures(p, new Float64Array(F)));
    const total = train.weight.reduce((sum, w) => sum + w, 0);
    const residual = train.probs.map(
      (p, i) => sigmoid(disagreementLogit(model, p)) - Number(train.teacherLabel[i] !== 0),
    );
    for (let j = 0; j < F; j++) {
      let mean = 0;
      for (const [i, x] of phi.entries()) mean += (train.weight[i]! * x[j]!) / total;
      let variance = 0;
      let gradient = 0;
      for (const [i, x] of phi.entries()) {
        variance += (train.weight[i]! * (x[j]! - mean) ** 2) / total;
        gradient += (train.weight[i]! * residual[i]! * x[j]!) / total;
      }
      expect(gradient).toBeCloseTo(-l2 * model.weights[j]! * variance, 6);
    }
  });

  it("takes at most maxIterations Newton steps: none leaves every weight at 0, one is not yet the optimum", () => {
    const train = fromKnownModel(2000, 3, { features: 1, weights: [-4, 0, 0, 0, 1.5, 0], bias: 3 });
    const none = trainDeferral(train, { l2: 1e-3, maxIterations: 0 })!;
    expect(none.weights).toEqual(Array(DEFERRAL_FEATURE_COUNT).fill(0));
    expect(none.bias).toBe(0);
    const one = trainDeferral(train, { l2: 1e-3, maxIterations: 1 })!;
    const converged = trainDeferral(train, { l2: 1e-3, maxIterations: 50 })!;
    const gap = Math.max(
      ...train.probs.map((p) => Math.abs(disagreementLogit(one, p) - disagreementLogit(converged, p))),
    );
    expect(gap).toBeGreaterThan(0.01);
    // Fifty steps are far more than the fit needs: a hundred give the same model.
    const more = trainDeferral(train, { l2: 1e-3, maxIterations: 100 })!;
    for (const p of train.probs.slice(0, 50))
      expect(disagreementLogit(more, p)).toBeCloseTo(disagreementLogit(converged, p), 9);
  });

  it("backs off a Newton step that overshoots and still reaches the optimum", () => {
    // Few records, nearly separable, two of them weighing 753 against the trend, and almost no L2: on the
    // way to the optimum a full Newton step raises the loss here and must be shortened.
    const rng = mulberry32(39);
    const n = 20 + Math.floor(rng() * 200);
    const heavy = rng() * 1000;
    const records = Array.from({ length: n }, () => {
      const top = 0.2 + 0.79 * rng();
      const runnerUp = Math.min((1 - top) * rng(), 0.9 * top);
      const against = rng() < 0.05;
      const agrees = against ? top < 0.5 : top > 0.5 + 0.3 * (rng() - 0.5);
      return { top, runnerUp, agrees, weight: against ? heavy : 1 };
    });
    const train = outputsOf(records, 6);
    const model = trainDeferral(train, { l2: 1e-6, maxIterations: 50 })!;
    // At the optimum the unregularised bias's gradient Σ w (μ − y) / Σw is 0 (a fit stopped early: ~1e-3).
    let gradient = 0;
    let total = 0;
    train.probs.forEach((p, i) => {
      const w = train.weight[i]!;
      gradient += w * (sigmoid(disagreementLogit(model, p)) - Number(train.teacherLabel[i] !== 0));
      total += w;
    });
    expect(Math.abs(gradient / total)).toBeLessThan(1e-9);
  });

  it("weighs a record like that many copies of it", () => {
    const base = calibratedRecords(600, 9);
    const weights = base.map((_, i) => 1 + (i % 3));
    const weighted = trainDeferral(outputsOf(base.map((r, i) => ({ ...r, weight: weights[i]! }))))!;
    const copied = trainDeferral(
      outputsOf(base.flatMap((r, i) => Array.from({ length: weights[i]! }, () => r))),
    )!;
    const x = new Float64Array(DEFERRAL_FEATURE_COUNT);
    for (const r of base.slice(0, 50)) {
      const p = probsOf(0, r.top, r.runnerUp, 5);
      deferralFeatures(p, x);
      expect(disagreementLogit(weighted, p)).toBeCloseTo(disagreementLogit(copied, p), 5);
    }
  });

  it("learns nothing, and says so with null, when there is no disagreement (or no agreement) to predict", () => {
    const all = calibratedRecords(100, 3);
    expect(trainDeferral(outputsOf(all.map((r) => ({ ...r, agrees: true }))))).toBeNull();
    expect(trainDeferral(outputsOf(all.map((r) => ({ ...r, agrees: false }))))).toBeNull();
    expect(trainDeferral(outputsOf([]))).toBeNull();
  });

  it("refuses misaligned outputs by name", () => {
    const records = outputsOf(calibratedRecords(10, 3));
    expect(() => trainDeferral({ ...records, teacherLabel: records.teacherLabel.subarray(1) })).toThrow(
      /^trainDeferral: 10 probability vectors, 9 teacher labels, 10 weights$/,
    );
  });

  it("stays finite when the classes separate perfectly", () => {
    const separable = calibratedRecords(300, 4).map((r) => ({ ...r, agrees: r.top > 0.6 }));
    const model = trainDeferral(outputsOf(separable))!;
    expect([...model.weights, model.bias].every(Number.isFinite)).toBe(true);
    const sure = sigmoid(disagreementLogit(model, probsOf(0, 0.95, 0.02, 5)));
    const unsure = sigmoid(disagreementLogit(model, probsOf(0, 0.35, 0.3, 5)));
    expect(sure).toBeLessThan(0.1);
    expect(unsure).toBeGreaterThan(0.9);
  });
});
