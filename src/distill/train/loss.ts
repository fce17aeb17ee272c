import { softmax } from "../../core/softmax.ts";

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
}

export function createLossScratch(classes: number): LossScratch {
  return {
    p: new Float64Array(classes),
    pT: new Float64Array(classes),
    qT: new Float64Array(classes),
  };
}

/**
 * The teacher's side of the KD term, q_T = softmax(t/T) and Σ q log q: fixed for an example, so the
 * trainer computes it once per example instead of once per epoch.
 */
export interface TeacherTarget {
  qT: Float64Array;
  qLogQ: number;
}

export function teacherTarget(teacherLogits: Float32Array, temperature: number): TeacherTarget {
  const qT = new Float64Array(teacherLogits.length);
  return { qT, qLogQ: fillTeacherTarget(teacherLogits, temperature, qT) };
}

function fillTeacherTarget(teacherLogits: Float32Array, temperature: number, qT: Float64Array): number {
  softmax(teacherLogits, qT, temperature);
  let qLogQ = 0;
  for (let k = 0; k < qT.length; k++) if (qT[k]! > 0) qLogQ += qT[k]! * Math.log(qT[k]!);
  return qLogQ;
}

/**
 * Writes ∂L/∂z into grad (scaled by `scale`, e.g. 1/batch) and returns L. `target` is the teacher's
 * side precomputed by teacherTarget (else computed here from `teacherLogits`).
 */
export function distillationLoss(
  config: LossConfig,
  logits: Float32Array,
  label: number,
  weight: number,
  teacherLogits: Float32Array | null,
  grad: Float32Array,
  scale: number,
  s: LossScratch,
  target: TeacherTarget | null = null,
): number {
  const C = logits.length;
  const hasTeacher = teacherLogits !== null || target !== null;
  const alpha = hasTeacher ? config.alpha : 1;
  const eps = config.labelSmoothing;
  const logZ = softmax(logits, s.p, 1);
  let loss = 0;
  const hard = scale * alpha * weight;
  for (let k = 0; k < C; k++) {
    const y = (k === label ? 1 - eps : 0) + eps / C;
    loss -= alpha * weight * y * (logits[k]! - logZ);
    grad[k] = hard * (s.p[k]! - y);
  }
  if (hasTeacher && alpha < 1) {
    const T = config.temperature;
    const logZT = softmax(logits, s.pT, T);
    const qT = target ? target.qT : s.qT;
    const qLogQ = target ? target.qLogQ : fillTeacherTarget(teacherLogits!, T, s.qT);
    let qLogP = 0;
    const g = scale * (1 - alpha) * T;
    for (let k = 0; k < C; k++) {
      const q = qT[k]!;
      if (q > 0) qLogP += q * (logits[k]! / T - logZT);
      grad[k]! += g * (s.pT[k]! - q);
    }
    loss += (1 - alpha) * T * T * (qLogQ - qLogP);
  }
  return loss;
}
