import { hashString } from "./hash.ts";

/** Share of logged records kept out of training to calibrate, route and gate a student on. */
export const DEFAULT_HOLDOUT = 0.2;

// Its own seed, so the slice is independent of the featuriser's buckets (seed 0 in tests, 42 by default).
const HOLDOUT_SEED = 0x686f6c64;
const RESOLUTION = 10_000;

/**
 * Whether a hard-example record belongs to the held-out slice: a stable hash of its id, so a record is
 * on the same side in every run and on every machine, and every duplicate of a text (which shares the
 * id: SHA-256 of model and normalised text) lands with it: no copy of a held-out text is trained on.
 */
export function isHeldOut(id: string, share: number = DEFAULT_HOLDOUT): boolean {
  if (!(share >= 0 && share <= 1)) throw new RangeError(`held-out share must be in [0, 1], got ${share}`);
  return hashString(id, HOLDOUT_SEED) % RESOLUTION < share * RESOLUTION;
}
