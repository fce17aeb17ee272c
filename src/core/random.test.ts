import { describe, expect, it } from "vitest";
import { mulberry32, shuffleInPlace } from "./random.ts";

describe("mulberry32", () => {
  it("repeats its sequence for a seed and differs across seeds", () => {
    const a = mulberry32(42);
    const b = mulberry32(42);
    const c = mulberry32(43);
    const seqA = Array.from({ length: 5 }, a);
    expect(Array.from({ length: 5 }, b)).toEqual(seqA);
    expect(Array.from({ length: 5 }, c)).not.toEqual(seqA);
  });

  it("stays in [0, 1) and is roughly uniform", () => {
    const rng = mulberry32(7);
    const bins = new Array<number>(10).fill(0);
    let min = 1;
    let max = 0;
    for (let i = 0; i < 10_000; i++) {
      const x = rng();
      min = Math.min(min, x);
      max = Math.max(max, x);
      bins[Math.floor(x * 10)]! += 1;
    }
    expect(min).toBeGreaterThanOrEqual(0);
    expect(max).toBeLessThan(1);
    for (const n of bins) expect(Math.abs(n - 1000)).toBeLessThan(150);
  });
});

describe("shuffleInPlace", () => {
  it("permutes in place, deterministically for a seed", () => {
    const input = Array.from({ length: 20 }, (_, i) => i);
    const a = shuffleInPlace([...input], mulberry32(1));
    const b = shuffleInPlace([...input], mulberry32(1));
    const c = shuffleInPlace([...input], mulberry32(2));
    expect(a).toEqual(b);
    expect(a).not.toEqual(c);
    expect([...a].sort((x, y) => x - y)).toEqual(input);
    const same = [1, 2, 3];
    expect(shuffleInPlace(same, mulberry32(3))).toBe(same);
  });
});

describe("shuffleInPlace on typed arrays", () => {
  it("shuffles an Int32Array like the trainer's index order", () => {
    const order = Int32Array.from({ length: 10 }, (_, i) => i);
    const out = shuffleInPlace(order, mulberry32(5));
    expect(out).toBe(order);
    expect(out).toBeInstanceOf(Int32Array);
    expect([...out].sort((x, y) => x - y)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });
});
