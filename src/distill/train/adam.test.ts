import { describe, expect, it } from "vitest";
import { type AdamConfig, AdamState, adamUpdate, DEFAULT_ADAM, stepScalars } from "./adam.ts";

const CONFIG: AdamConfig = { lr: 0.01, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.1 };

/** Textbook AdamW (decoupled decay scaled by lr), in float64, for a run of gradients on one scalar. */
function referenceAdamW(config: AdamConfig, p0: number, grads: number[]): number {
  let p = p0;
  let m = 0;
  let v = 0;
  grads.forEach((g, i) => {
    const t = i + 1;
    m = config.beta1 * m + (1 - config.beta1) * g;
    v = config.beta2 * v + (1 - config.beta2) * g * g;
    const mHat = m / (1 - config.beta1 ** t);
    const vHat = v / (1 - config.beta2 ** t);
    p = p * (1 - config.lr * config.weightDecay) - (config.lr * mHat) / (Math.sqrt(vHat) + config.eps);
  });
  return p;
}

function step(
  config: AdamConfig,
  param: Float32Array,
  grad: Float32Array,
  state: AdamState,
  t: number,
): void {
  adamUpdate(config, stepScalars(config, t), param, grad, state);
}

describe("AdamW", () => {
  it("takes a first step of lr·sign(g) plus decoupled weight decay, whatever the gradient's size", () => {
    const param = Float32Array.from([1, -2, 0.5, 3]);
    const grad = Float32Array.from([0.1, -0.2, 0, 50]);
    step(CONFIG, param, grad, new AdamState(4), 1);
    // p·(1 − lr·λ) − lr·g/|g|: 1·0.999 − 0.01, −2·0.999 + 0.01, 0.5·0.999 (no gradient), 3·0.999 − 0.01.
    expect(param[0]).toBeCloseTo(0.989, 6);
    expect(param[1]).toBeCloseTo(-1.988, 6);
    expect(param[2]).toBeCloseTo(0.4995, 6);
    expect(param[3]).toBeCloseTo(2.987, 6);
  });

  it("corrects the zero-initialised moments' bias in the step size", () => {
    // Step 1: lrHat = lr·√(1−β2)/(1−β1) undoes the zero initialisation of m and v.
    const s1 = stepScalars(CONFIG, 1);
    expect(s1.lrHat).toBeCloseTo((0.01 * Math.sqrt(0.001)) / 0.1, 12);
    expect(s1.decay).toBeCloseTo(1 - 0.01 * 0.1, 12);
    // Far into training the correction vanishes.
    expect(stepScalars(CONFIG, 100_000).lrHat).toBeCloseTo(0.01, 9);
    // An explicit (e.g. decayed) learning rate replaces config.lr in both the step and the decay.
    const s = stepScalars(CONFIG, 1, 0.5);
    expect(s.lrHat).toBeCloseTo((0.5 * Math.sqrt(0.001)) / 0.1, 12);
    expect(s.decay).toBeCloseTo(1 - 0.5 * 0.1, 12);
  });

  it("matches textbook AdamW over several steps with changing gradients", () => {
    const grads = [0.3, -0.1, 0.25, 0.05, -0.4, 0.2];
    const param = Float32Array.from([0.7]);
    const grad = new Float32Array(1);
    const state = new AdamState(1);
    grads.forEach((g, i) => {
      grad[0] = g;
      step(CONFIG, param, grad, state, i + 1);
    });
    expect(param[0]).toBeCloseTo(referenceAdamW(CONFIG, 0.7, grads), 6);
    // The moments are the raw (uncorrected) exponential averages.
    const m = grads.reduce((acc, g) => 0.9 * acc + 0.1 * g, 0);
    const v = grads.reduce((acc, g) => 0.999 * acc + 0.001 * g * g, 0);
    expect(state.m[0]).toBeCloseTo(m, 7);
    expect(state.v[0]).toBeCloseTo(v, 9);
  });

  it("zeroes the gradient it consumed, and only that slice", () => {
    const param = Float32Array.from([1, 1, 1, 1, 1, 1]);
    const grad = Float32Array.from([1, 2, 3, 4, 5, 6]);
    const state = new AdamState(6);
    adamUpdate(CONFIG, stepScalars(CONFIG, 1), param, grad, state, 2, 4);
    expect(Array.from(grad)).toEqual([1, 2, 0, 0, 5, 6]);
    // Outside [from, to) neither weights nor moments move (lazy sparse rows).
    expect(Array.from(param.subarray(0, 2))).toEqual([1, 1]);
    expect(Array.from(param.subarray(4))).toEqual([1, 1]);
    expect(param[2]).toBeLessThan(1);
    expect(param[3]).toBeLessThan(1);
    expect(Array.from(state.m.subarray(0, 2))).toEqual([0, 0]);
    expect(Array.from(state.v.subarray(4))).toEqual([0, 0]);

    adamUpdate(CONFIG, stepScalars(CONFIG, 2), param, grad, state);
    expect(Array.from(grad)).toEqual([0, 0, 0, 0, 0, 0]);
  });

  it("does not move a parameter with zero gradient and no weight decay", () => {
    const param = Float32Array.from([0.25, -4]);
    step(DEFAULT_ADAM, param, new Float32Array(2), new AdamState(2), 1);
    expect(Array.from(param)).toEqual([0.25, -4]);
  });
});
