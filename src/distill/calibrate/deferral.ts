import {
  DEFERRAL_FEATURE_COUNT,
  DEFERRAL_FEATURES_VERSION,
  deferralFeatures,
  type LearnedDeferral,
  sigmoid,
} from "../../core/deferral.ts";
import { checkAligned, type LoggedOutputs, studentAgrees } from "./logged-outputs.ts";

/**
 * Trains the learned deferral (core/deferral.ts): weighted, L2-regularised logistic regression of
 * "the student disagrees with the teacher" on the features φ(p) of its calibrated probabilities.
 * Train it on logged records outside the held-out slice; the routing fit scores it on the slice.
 *
 *   y_i = [argmax p_i ≠ teacher_i],  x_i = (φ(p_i) − m) / s   (standardised: λ then means the same for
 *                                                              every feature)
 *   L(θ, b) = Σ_i w_i ℓ(y_i, σ(θ·x_i + b)) / Σ_i w_i + (λ/2)‖θ‖²,   ℓ = log loss
 *
 * L is convex; Newton's method (IRLS) on the F + 1 = 7 parameters converges in a few steps:
 *   g = Σ w_i (μ_i − y_i) x̃_i / Σw + λθ̃,   H = Σ w_i μ_i(1 − μ_i) x̃_i x̃_iᵀ / Σw + λĨ,   x̃ = (x, 1)
 * The fitted (θ, b) are mapped back to raw features, which is what the Worker computes.
 */
export interface DeferralOptions {
  /** L2 strength on the standardised weights (not on the bias). */
  l2: number;
  maxIterations: number;
}

export const DEFAULT_DEFERRAL_OPTIONS: DeferralOptions = { l2: 1e-3, maxIterations: 50 };

/**
 * The trained model, or null when the records cannot teach one: no records, or the student agrees with
 * the teacher on all of them (or on none), so there is no disagreement to predict.
 */
export function trainDeferral(
  train: LoggedOutputs,
  options: DeferralOptions = DEFAULT_DEFERRAL_OPTIONS,
): LearnedDeferral | null {
  const n = checkAligned(train, "trainDeferral");
  const F = DEFERRAL_FEATURE_COUNT;
  const agrees = studentAgrees(train);
  const y = new Float64Array(n);
  let total = 0;
  let disagreeing = 0;
  for (let i = 0; i < n; i++) {
    y[i] = 1 - agrees[i]!;
    total += train.weight[i]!;
    disagreeing += train.weight[i]! * y[i]!;
  }
  if (n === 0 || disagreeing === 0 || disagreeing === total) return null;

  // X: [n × F] raw features, then standardised in place with weighted mean m and deviation s.
  const X = new Float64Array(n * F);
  for (let i = 0; i < n; i++) deferralFeatures(train.probs[i]!, X.subarray(i * F, (i + 1) * F));
  const { mean, scale } = standardise(X, train.weight, F);

  const { theta, bias } = newton(X, y, train.weight, F, options);
  // θ·(x − m)/s + b = (θ/s)·x + (b − Σ θ_j m_j / s_j)
  const weights: number[] = [];
  let rawBias = bias;
  for (let j = 0; j < F; j++) {
    weights.push(theta[j]! / scale[j]!);
    rawBias -= (theta[j]! * mean[j]!) / scale[j]!;
  }
  return { features: DEFERRAL_FEATURES_VERSION, weights, bias: rawBias };
}

/** Weighted column means and deviations of X [n × F]; X is overwritten with (X − m) / s. */
function standardise(
  X: Float64Array,
  w: Float64Array,
  F: number,
): { mean: Float64Array; scale: Float64Array } {
  const n = w.length;
  const mean = new Float64Array(F);
  const scale = new Float64Array(F);
  let total = 0;
  for (let i = 0; i < n; i++) {
    total += w[i]!;
    for (let j = 0; j < F; j++) mean[j]! += w[i]! * X[i * F + j]!;
  }
  for (let j = 0; j < F; j++) mean[j]! /= total;
  for (let i = 0; i < n; i++)
    for (let j = 0; j < F; j++) scale[j]! += w[i]! * (X[i * F + j]! - mean[j]!) ** 2;
  // A constant feature (every record alike) keeps scale 1: it is centred to 0 and the L2 term holds θ_j at 0.
  for (let j = 0; j < F; j++) scale[j] = Math.sqrt(scale[j]! / total) || 1;
  for (let i = 0; i < n; i++)
    for (let j = 0; j < F; j++) X[i * F + j] = (X[i * F + j]! - mean[j]!) / scale[j]!;
  return { mean, scale };
}

/** Newton steps with backtracking on L; parameters β = (θ_0 … θ_{F−1}, b). */
function newton(
  X: Float64Array,
  y: Float64Array,
  w: Float64Array,
  F: number,
  options: DeferralOptions,
): { theta: Float64Array; bias: number } {
  const D = F + 1;
  const beta = new Float64Array(D);
  const grad = new Float64Array(D);
  const hess = new Float64Array(D * D);
  const step = new Float64Array(D);
  const trial = new Float64Array(D);
  let loss = objective(X, y, w, F, beta, options.l2);
  for (let iter = 0; iter < options.maxIterations; iter++) {
    gradientAndHessian(X, y, w, F, beta, options.l2, grad, hess);
    solveSymmetric(hess, grad, step, D);
    // β ← β − t·H⁻¹g, halving t until L decreases (a pure Newton step can overshoot far from the optimum).
    let t = 1;
    let next = loss;
    for (let halving = 0; halving < 30; halving++, t /= 2) {
      for (let j = 0; j < D; j++) trial[j] = beta[j]! - t * step[j]!;
      next = objective(X, y, w, F, trial, options.l2);
      if (next <= loss) break;
    }
    if (!(next <= loss)) break;
    beta.set(trial);
    const moved = loss - next;
    loss = next;
    if (moved < 1e-12 * Math.max(1, loss)) break;
  }
  return { theta: beta.subarray(0, F), bias: beta[F]! };
}

/** L(β): weighted mean log loss + (λ/2)‖θ‖². */
function objective(
  X: Float64Array,
  y: Float64Array,
  w: Float64Array,
  F: number,
  beta: Float64Array,
  l2: number,
) {
  let sum = 0;
  let total = 0;
  for (let i = 0; i < w.length; i++) {
    const z = logit(X, i, F, beta);
    // ℓ = log(1 + e^z) − y·z, computed without overflow.
    const softplus = z > 0 ? z + Math.log1p(Math.exp(-z)) : Math.log1p(Math.exp(z));
    sum += w[i]! * (softplus - y[i]! * z);
    total += w[i]!;
  }
  let norm = 0;
  for (let j = 0; j < F; j++) norm += beta[j]! * beta[j]!;
  return sum / total + (l2 / 2) * norm;
}

function gradientAndHessian(
  X: Float64Array,
  y: Float64Array,
  w: Float64Array,
  F: number,
  beta: Float64Array,
  l2: number,
  grad: Float64Array,
  hess: Float64Array,
): void {
  const D = F + 1;
  grad.fill(0);
  hess.fill(0);
  let total = 0;
  for (let i = 0; i < w.length; i++) {
    const mu = sigmoid(logit(X, i, F, beta));
    const r = w[i]! * (mu - y[i]!);
    const c = w[i]! * mu * (1 - mu);
    total += w[i]!;
    for (let a = 0; a < D; a++) {
      const xa = a < F ? X[i * F + a]! : 1;
      grad[a]! += r * xa;
      for (let b = 0; b <= a; b++) hess[a * D + b]! += c * xa * (b < F ? X[i * F + b]! : 1);
    }
  }
  for (let a = 0; a < D; a++) {
    grad[a]! /= total;
    // The lower triangle only: solveSymmetric reads no other part of H.
    for (let b = 0; b <= a; b++) hess[a * D + b]! /= total;
    if (a < F) {
      grad[a]! += l2 * beta[a]!;
      hess[a * D + a]! += l2;
    }
  }
  // The bias is not regularised; a whisker on its diagonal keeps H invertible when every μ saturates.
  hess[F * D + F]! += 1e-10;
}

function logit(X: Float64Array, i: number, F: number, beta: Float64Array): number {
  let z = beta[F]!;
  for (let j = 0; j < F; j++) z += beta[j]! * X[i * F + j]!;
  return z;
}

/** Solves A x = b for a symmetric positive-definite A [D × D] by Cholesky (A = L Lᵀ); reads A's lower triangle. */
function solveSymmetric(A: Float64Array, b: Float64Array, x: Float64Array, D: number): void {
  const L = new Float64Array(D * D);
  for (let i = 0; i < D; i++) {
    for (let j = 0; j <= i; j++) {
      let s = A[i * D + j]!;
      for (let k = 0; k < j; k++) s -= L[i * D + k]! * L[j * D + k]!;
      L[i * D + j] = i === j ? Math.sqrt(Math.max(s, 1e-300)) : s / L[j * D + j]!;
    }
  }
  // L z = b, then Lᵀ x = z.
  for (let i = 0; i < D; i++) {
    let s = b[i]!;
    for (let k = 0; k < i; k++) s -= L[i * D + k]! * x[k]!;
    x[i] = s / L[i * D + i]!;
  }
  for (let i = D - 1; i >= 0; i--) {
    let s = x[i]!;
    for (let k = i + 1; k < D; k++) s -= L[k * D + i]! * x[k]!;
    x[i] = s / L[i * D + i]!;
  }
}
