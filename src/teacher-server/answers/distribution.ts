/**
 * The probability distribution a recorded answer is served with. An answer lists probabilities for
 * some labels; the labels it leaves out share what is left of 1 evenly. An answer without any is
 * served as {label: RECORDED_CONFIDENCE}: a confident LLM-like answer whose remaining 5% is spread over
 * the other labels (for two labels, 0.95 / 0.05).
 */
export const RECORDED_CONFIDENCE = 0.95;

/** Listed probabilities (label index → p, summing to at most 1) completed into a full distribution. */
export function completeDistribution(classes: number, listed: ReadonlyMap<number, number>): Float64Array {
  let sum = 0;
  for (const p of listed.values()) sum += p;
  const unlisted = classes - listed.size;
  const share = unlisted > 0 ? Math.max(0, 1 - sum) / unlisted : 0;
  const probs = new Float64Array(classes).fill(share);
  for (const [index, p] of listed) probs[index] = p;
  return probs;
}

export function confidentDistribution(classes: number, index: number): Float64Array {
  return completeDistribution(classes, new Map([[index, RECORDED_CONFIDENCE]]));
}
