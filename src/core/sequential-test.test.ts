import { describe, expect, it } from "vitest";
import { mulberry32 } from "./random.ts";
import { type Counts, compareRates, logGamma, rateConfidenceSequence } from "./sequential-test.ts";

const ALPHA = 0.05;

/** Two arms drawn side by side, read every `every` texts; the first n at which the verdict is not undecided. */
function firstVerdict(
  rng: () => number,
  pCanary: number,
  pLive: number,
  maxN: number,
  every: number,
  test: (canary: Counts, live: Counts) => string,
): { n: number; verdict: string } | null {
  const canary = { agree: 0, total: 0 };
  const live = { agree: 0, total: 0 };
  for (let n = 1; n <= maxN; n++) {
    canary.total++;
    live.total++;
    if (rng() < pCanary) canary.agree++;
    if (rng() < pLive) live.agree++;
    if (n % every === 0) {
      const verdict = test(canary, live);
      if (verdict !== "undecided") return { n, verdict };
    }
  }
  return null;
}

/** The fixed-n 95% Wald interval read at every peek: what an anytime-valid test must not behave like. */
function naiveWald(canary: Counts, live: Counts): string {
  const p = (c: Counts) => c.agree / c.total;
  const v = (c: Counts) => (p(c) * (1 - p(c))) / c.total;
  const d = p(canary) - p(live);
  const half = 1.96 * Math.sqrt(v(canary) + v(live));
  return d - half > 0 ? "better" : d + half < 0 ? "worse" : "undecided";
}

describe("logGamma", () => {
  it("matches factorials and Γ(1/2) = √π", () => {
    expect(logGamma(1)).toBeCloseTo(0, 12);
    expect(logGamma(11)).toBeCloseTo(Math.log(3628800), 10);
    expect(logGamma(0.5)).toBeCloseTo(Math.log(Math.sqrt(Math.PI)), 12);
    expect(logGamma(1001)).toBeCloseTo(5912.128178488163, 7);
  });
});

describe("rateConfidenceSequence", () => {
  it("holds the observed rate, narrows with n, stays in [0, 1]", () => {
    const small = rateConfidenceSequence({ agree: 90, total: 100 }, ALPHA);
    const large = rateConfidenceSequence({ agree: 9000, total: 10000 }, ALPHA);
    expect(small.lower).toBeLessThan(0.9);
    expect(small.upper).toBeGreaterThan(0.9);
    expect(large.upper - large.lower).toBeLessThan((small.upper - small.lower) / 5);
    expect(rateConfidenceSequence({ agree: 0, total: 50 }, ALPHA).lower).toBe(0);
    expect(rateConfidenceSequence({ agree: 50, total: 50 }, ALPHA).upper).toBe(1);
    expect(rateConfidenceSequence({ agree: 0, total: 0 }, ALPHA)).toEqual({ lower: 0, upper: 1 });
  });

  it("is wider than the fixed-n interval: the price of reading it at any time", () => {
    const { lower, upper } = rateConfidenceSequence({ agree: 900, total: 1000 }, ALPHA);
    const wald = 1.96 * Math.sqrt((0.9 * 0.1) / 1000);
    expect(upper - lower).toBeGreaterThan(2 * wald);
  });

  it("refuses counts that cannot be", () => {
    expect(() => rateConfidenceSequence({ agree: 3, total: 2 }, ALPHA)).toThrow(RangeError);
    expect(() => rateConfidenceSequence({ agree: 1, total: 2 }, 0)).toThrow(RangeError);
  });
});

describe("compareRates: anytime-valid canary against live", () => {
  it("keeps the type-I error under α over 100 peeks per run, where peeking at a fixed-n test does not", () => {
    const runs = 400;
    const rng = mulberry32(20261203);
    let anytime = 0;
    let naive = 0;
    for (let r = 0; r < runs; r++) {
      const seed = Math.floor(rng() * 2 ** 32);
      if (firstVerdict(mulberry32(seed), 0.9, 0.9, 5000, 50, (c, l) => compareRates(c, l, ALPHA).verdict))
        anytime++;
      if (firstVerdict(mulberry32(seed), 0.9, 0.9, 5000, 50, naiveWald)) naive++;
    }
    expect(anytime / runs).toBeLessThanOrEqual(ALPHA);
    // The simulation has teeth: the same draws, peeked at with a fixed-n interval, err far more than α.
    expect(naive / runs).toBeGreaterThan(2 * ALPHA);
  });

  it("detects a 3-point difference (93% against 90%) within 15,000 texts per arm in at least 95% of runs", () => {
    const runs = 40;
    const rng = mulberry32(42);
    const found: number[] = [];
    for (let r = 0; r < runs; r++) {
      const hit = firstVerdict(rng, 0.93, 0.9, 15000, 500, (c, l) => compareRates(c, l, ALPHA).verdict);
      if (hit) {
        expect(hit.verdict).toBe("better");
        found.push(hit.n);
      }
    }
    expect(found.length / runs).toBeGreaterThanOrEqual(0.95);
    found.sort((a, b) => a - b);
    expect(found[Math.floor(found.length / 2)]).toBeLessThanOrEqual(8000);
  });

  it("calls a worse canary worse, and reports its figures", () => {
    const result = compareRates({ agree: 10, total: 100 }, { agree: 90, total: 100 }, ALPHA);
    expect(result.verdict).toBe("worse");
    expect(result.canary.rate).toBe(0.1);
    expect(result.live.rate).toBe(0.9);
    expect(result.difference.upper).toBeLessThan(0);
    expect(compareRates({ agree: 0, total: 0 }, { agree: 9, total: 10 }, ALPHA).verdict).toBe("undecided");
  });
});
