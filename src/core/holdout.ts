import { hashString } from "./hash.ts";

/**
 * The held-out slice of logged records: calibration, the routing fit and the evaluation gate score on
 * it, training never sees it. Membership is a pure function of the record id (SHA-256 of model and
 * normalised text), so a record stays on its side across runs, machines and re-downloads, and the same
 * text is never on both sides.
 *
 *   held out ⇔ h(id) / 2³² < fraction      (h: core/hash.ts's hashString with a fixed seed)
 *
 * Raising the fraction only adds records to the slice: a 10% slice lies inside the 20% one.
 */
export const DEFAULT_HOLDOUT_FRACTION = 0.2;

/** Fixed forever: changing it would move records that were held out into training. */
const HOLDOUT_SEED = 0x5eed0da7;

export function isHeldOut(id: string, fraction = DEFAULT_HOLDOUT_FRACTION): boolean {
  if (!(fraction >= 0 && fraction <= 1))
    throw new RangeError(`holdout fraction must be in [0, 1], got ${fraction}`);
  return hashString(id, HOLDOUT_SEED) / 2 ** 32 < fraction;
}

/** Splits records by `isHeldOut`, keeping their order on each side. */
export function splitHeldOut<T extends { id: string }>(
  records: readonly T[],
  fraction = DEFAULT_HOLDOUT_FRACTION,
): { train: T[]; heldOut: T[] } {
  const train: T[] = [];
  const heldOut: T[] = [];
  for (const r of records) (isHeldOut(r.id, fraction) ? heldOut : train).push(r);
  return { train, heldOut };
}
