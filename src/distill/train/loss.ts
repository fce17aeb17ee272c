import { logSoftmax, softmax } from "../../core/softmax.ts";

/**
 * Knowledge-distillation loss for one example (Hinton et al. 2015):
 *   L = α·CE(y, softmax(z)) + (1−α)·T²·KL(q_T ‖ softmax(z/T)),   q_T = softmax(t/T)
 * and its gradient with respect to the student logits z:
 *   ∂L/∂z = α·w·(p − y) + (1−α)·T·(p_T − q_T)
 * where w is the example's class weight. With α = 1 (or no teacher) this is plain cross-entropy, with
 * optional label smoothing ε spreading ε of the target mass uniformly.
 */
export interface LossConfig {
  alpha: number;
  temperature: number;
  labelSmoothing: number;
}

export interface LossScratch {
  p: Float64Array;
  pT: Float64Array;
  qT: Float64Array;
  logP: Float64Array;
}

export function createLossScratch(classes: number): LossScratch {
  return {
    p: new Float64Array(classes),
    pT: new Float64Array(classes),
    qT: new Float64Array(classes),
    logP: new Float64Array(classes),
  };
}

/** Writes ∂L/∂z into grad (scaled by `scale`, e.g. 1/batch) and returns L. */
export function distillationLoss(
  config: LossConfig,
  logits: Float32Array,
  label: number,
  weight: number,
  teacherLogits: Float32Array | null,
  grad: Float32Array,
  scale: number,
  s: LossScratch,
): number {
  const C = logits.length;
  const alpha = teacherLogits ? config.alpha : 1;
  const eps = config.labelSmoothing;
  softmax(logits, s.p);
  logSoftmax(logits, s.logP);
  let loss = 0;
  for (let k = 0; k < C; k++) {
    const y = (k === label ? 1 - eps : 0) + eps / C;
    loss -= alpha * weight * y * s.logP[k]!;
    grad[k] = scale * alpha * weight * (s.p[k]! - y);
  }
  if (teacherLogits && alpha < 1) {
    const T = config.temperature;
    softmax(logits, s.pT, T);
    softmax(teacherLogits, s.qT, T);
    logSoftmax(logits, s.logP, T);
    let kl = 0;
    for (let k = 0; k < C; k++) {
      const q = s.qT[k]!;
      if (q > 0) kl += q * (Math.log(q) - s.logP[k]!);
      grad[k]! += scale * (1 - alpha) * T * (s.pT[k]! - q);
    }
    loss += (1 - alpha) * T * T * kl;
  }
  return loss;
}
