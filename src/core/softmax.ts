/**
 * Numerically stable softmax of logits / temperature, written into `out`. Returns log Σ exp(z / T), so
 * that log p_k = z_k / T − the result: one exp per class serves the probabilities and their logs.
 */
export function softmax(
  logits: ArrayLike<number>,
  out: Float32Array | Float64Array,
  temperature = 1,
): number {
  const n = logits.length;
  let max = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < n; i++) if (logits[i]! > max) max = logits[i]!;
  let sum = 0;
  for (let i = 0; i < n; i++) {
    const e = Math.exp((logits[i]! - max) / temperature);
    out[i] = e;
    sum += e;
  }
  for (let i = 0; i < n; i++) out[i]! /= sum;
  return max / temperature + Math.log(sum);
}

/** log-softmax of logits / temperature into `out`. */
export function logSoftmax(
  logits: ArrayLike<number>,
  out: Float32Array | Float64Array,
  temperature = 1,
): void {
  const n = logits.length;
  let max = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < n; i++) if (logits[i]! > max) max = logits[i]!;
  let sum = 0;
  for (let i = 0; i < n; i++) sum += Math.exp((logits[i]! - max) / temperature);
  const logZ = Math.log(sum);
  for (let i = 0; i < n; i++) out[i] = (logits[i]! - max) / temperature - logZ;
}

export function argmax(values: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < values.length; i++) if (values[i]! > values[best]!) best = i;
  return best;
}
