/**
 * The audit sample: each confident student answer is independently sent to the teacher with probability
 * AUDIT_RATE. Independent per answer (not per request) so a batch request is sampled like single ones,
 * and drawn with crypto.getRandomValues at request time: workerd forbids random numbers at module scope,
 * and a seeded generator shared by an isolate would make the sample depend on traffic order.
 */
const RANGE = 2 ** 32;
const MAX_DRAWS = 65_536 / Uint32Array.BYTES_PER_ELEMENT;

export function sampleIndices(indices: readonly number[], rate: number): number[] {
  if (rate <= 0 || indices.length === 0) return [];
  if (rate >= 1) return [...indices];
  const draws = new Uint32Array(indices.length);
  // getRandomValues fills at most 64 KiB per call.
  for (let at = 0; at < draws.length; at += MAX_DRAWS)
    crypto.getRandomValues(draws.subarray(at, at + MAX_DRAWS));
  const cut = rate * RANGE;
  return indices.filter((_, j) => draws[j]! < cut);
}
