/**
 * AdamW (Loshchilov & Hutter) for dense tensors, and its lazy sparse form for embedding rows: a row's
 * moments and weights change only on steps where the row had a gradient, as in PyTorch's SparseAdam.
 * Bias correction uses the global step, so a rarely seen row still takes a full-size first step.
 */
export interface AdamConfig {
  lr: number;
  beta1: number;
  beta2: number;
  eps: number;
  weightDecay: number;
}

export const DEFAULT_ADAM: AdamConfig = { lr: 1e-3, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0 };

export class AdamState {
  readonly m: Float32Array;
  readonly v: Float32Array;
  constructor(size: number) {
    this.m = new Float32Array(size);
    this.v = new Float32Array(size);
  }
}

/** Step sizes shared by every tensor in one optimiser step. */
export interface StepScalars {
  lrHat: number;
  decay: number;
}

export function stepScalars(config: AdamConfig, step: number, lr = config.lr): StepScalars {
  const c1 = 1 - config.beta1 ** step;
  const c2 = 1 - config.beta2 ** step;
  return { lrHat: (lr * Math.sqrt(c2)) / c1, decay: 1 - lr * config.weightDecay };
}

/** Updates param[from, to) from grad[from, to) and zeroes that gradient slice. */
export function adamUpdate(
  config: AdamConfig,
  s: StepScalars,
  param: Float32Array,
  grad: Float32Array,
  state: AdamState,
  from = 0,
  to = param.length,
): void {
  const { beta1, beta2, eps } = config;
  const { lrHat, decay } = s;
  const { m, v } = state;
  for (let i = from; i < to; i++) {
    const g = grad[i]!;
    grad[i] = 0;
    const mi = beta1 * m[i]! + (1 - beta1) * g;
    const vi = beta2 * v[i]! + (1 - beta2) * g * g;
    m[i] = mi;
    v[i] = vi;
    param[i] = param[i]! * decay - (lrHat * mi) / (Math.sqrt(vi) + eps);
  }
}

/**
 * adamUpdate with the gradient grad + other, summed in float32 exactly as storing the sum in grad
 * first would, in one pass; zeroes both slices. Two training shards' gradients meet here.
 * The three loops of this file repeat one AdamW step on purpose: adamUpdate and this one written as
 * calls of adamRowUpdate gave the same weights bit for bit but ran 1.05–1.20× slower, side by side
 * (3,000 steps of a 56 × 151 tensor, 2026-12-03), in the loop every minibatch runs.
 */
export function adamUpdateOfSum(
  config: AdamConfig,
  s: StepScalars,
  param: Float32Array,
  grad: Float32Array,
  other: Float32Array,
  state: AdamState,
  from = 0,
  to = param.length,
): void {
  const { beta1, beta2, eps } = config;
  const { lrHat, decay } = s;
  const { m, v } = state;
  for (let i = from; i < to; i++) {
    const g = Math.fround(grad[i]! + other[i]!);
    grad[i] = 0;
    other[i] = 0;
    const mi = beta1 * m[i]! + (1 - beta1) * g;
    const vi = beta2 * v[i]! + (1 - beta2) * g * g;
    m[i] = mi;
    v[i] = vi;
    param[i] = param[i]! * decay - (lrHat * mi) / (Math.sqrt(vi) + eps);
  }
}

/**
 * AdamW on param[at, at + length) whose gradient is grad[gradAt, gradAt + length), plus
 * other[otherAt, otherAt + length) when `other` is given (summed in float32, as adamUpdateOfSum does):
 * for gradients stored apart from the parameters, e.g. a training shard's compact embedding rows.
 * Zeroes the gradient slices it reads.
 */
export function adamRowUpdate(
  config: AdamConfig,
  s: StepScalars,
  param: Float32Array,
  state: AdamState,
  at: number,
  length: number,
  grad: Float32Array,
  gradAt: number,
  other: Float32Array | null,
  otherAt: number,
): void {
  const { beta1, beta2, eps } = config;
  const { lrHat, decay } = s;
  const { m, v } = state;
  for (let k = 0; k < length; k++) {
    let g = grad[gradAt + k]!;
    grad[gradAt + k] = 0;
    if (other) {
      g = Math.fround(g + other[otherAt + k]!);
      other[otherAt + k] = 0;
    }
    const i = at + k;
    const mi = beta1 * m[i]! + (1 - beta1) * g;
    const vi = beta2 * v[i]! + (1 - beta2) * g * g;
    m[i] = mi;
    v[i] = vi;
    param[i] = param[i]! * decay - (lrHat * mi) / (Math.sqrt(vi) + eps);
  }
}
