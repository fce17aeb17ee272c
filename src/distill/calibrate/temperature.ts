import { logSoftmax } from "../../core/softmax.ts";

/**
 * Temperature scaling (Guo et al. 2017): one scalar T > 0 that divides every logit, fitted by
 * minimising the negative log-likelihood on held-out data. NLL is convex in β = 1/T, so a
 * golden-section search over β finds the optimum without gradients. Optional per-example weights
 * (1 / P(logged) for logged records) make it the weighted mean NLL, Σ w_i nll_i / Σ w_i.
 */
export function negativeLogLikelihood(
  logits: readonly Float32Array[],
  labels: Int32Array,
  temperature: number,
  weights?: ArrayLike<number>,
): number {
  if (logits.length === 0) return 0;
  const logp = new Float64Array(logits[0]!.length);
  let nll = 0;
  let total = 0;
  for (let i = 0; i < logits.length; i++) {
    const w = weights?.[i] ?? 1;
    logSoftmax(logits[i]!, logp, temperature);
    nll -= w * logp[labels[i]!]!;
    total += w;
  }
  return total > 0 ? nll / total : 0;
}

export function fitTemperature(
  logits: readonly Float32Array[],
  labels: Int32Array,
  bounds: { minT: number; maxT: number } = { minT: 0.05, maxT: 20 },
  iterations = 60,
  weights?: ArrayLike<number>,
): number {
  const f = (beta: number) => negativeLogLikelihood(logits, labels, 1 / beta, weights);
  let a = 1 / bounds.maxT;
  let b = 1 / bounds.minT;
  const phi = (Math.sqrt(5) - 1) / 2;
  let c = b - phi * (b - a);
  let d = a + phi * (b - a);
  let fc = f(c);
  let fd = f(d);
  for (let i = 0; i < iterations; i++) {
    if (fc < fd) {
      b = d;
      d = c;
      fd = fc;
      c = b - phi * (b - a);
      fc = f(c);
    } else {
      a = c;
      c = d;
      fc = fd;
      d = a + phi * (b - a);
      fd = f(d);
    }
  }
  return 2 / (a + b);
}
