import { describe, expect, it } from "vitest";
import { DEFAULT_HOLDOUT_FRACTION, isHeldOut, splitHeldOut } from "./holdout.ts";
import { wilsonInterval } from "./metrics.ts";
import { mulberry32 } from "./random.ts";

/** Ids shaped like the real ones (64 hex digits), from a seeded generator. */
function ids(count: number, seed: number): string[] {
  const rng = mulberry32(seed);
  return Array.from({ length: count }, () =>
    Array.from({ length: 64 }, () => Math.floor(rng() * 16).toString(16)).join(""),
  );
}

/** How many of the 20,000 ids below the slice held at the time of writing. */
const HELD_OUT_OF_20000 = 4016;

describe("held-out slice", () => {
  const many = ids(20_000, 3);

  it("holds out 20% by default, within the binomial noise of 20,000 ids", () => {
    expect(DEFAULT_HOLDOUT_FRACTION).toBe(0.2);
    const held = many.filter((id) => isHeldOut(id)).length;
    const { lo, hi } = wilsonInterval(held, many.length, 3.3);
    expect(lo).toBeLessThan(0.2);
    expect(hi).toBeGreaterThan(0.2);
  });

  it("honours another fraction, 0 and 1 included", () => {
    const held = many.filter((id) => isHeldOut(id, 0.05)).length / many.length;
    expect(held).toBeGreaterThan(0.04);
    expect(held).toBeLessThan(0.06);
    expect(many.some((id) => isHeldOut(id, 0))).toBe(false);
    expect(many.every((id) => isHeldOut(id, 1))).toBe(true);
    expect(() => isHeldOut(many[0]!, 1.5)).toThrow(RangeError);
    expect(() => isHeldOut(many[0]!, Number.NaN)).toThrow(RangeError);
  });

  it("is a stable function of the id: same answer every call, pinned for known ids", () => {
    for (const id of many.slice(0, 500)) expect(isHeldOut(id)).toBe(isHeldOut(id));
    // Pinned: a change of hash or seed would silently move held-out records into training.
    const pinned = many.slice(0, 12).map((id) => isHeldOut(id));
    expect(pinned).toEqual([
      false,
      false,
      false,
      false,
      false,
      false,
      true,
      false,
      false,
      false,
      false,
      false,
    ]);
    expect(many.filter((id) => isHeldOut(id)).length).toBe(HELD_OUT_OF_20000);
  });

  it("only grows with the fraction: a smaller slice lies inside a larger one", () => {
    for (const id of many) if (isHeldOut(id, 0.1)) expect(isHeldOut(id, 0.2)).toBe(true);
  });

  it("splits records in order, each on exactly one side", () => {
    const records = many.slice(0, 1000).map((id, i) => ({ id, i }));
    const { train, heldOut } = splitHeldOut(records);
    expect(train.length + heldOut.length).toBe(records.length);
    expect(heldOut.every((r) => isHeldOut(r.id))).toBe(true);
    expect(train.some((r) => isHeldOut(r.id))).toBe(false);
    for (const side of [train, heldOut])
      for (let k = 1; k < side.length; k++) expect(side[k]!.i).toBeGreaterThan(side[k - 1]!.i);
  });
});
