import { describe, expect, it } from "vitest";
import { argmax, logSoftmax, softmax } from "./softmax.ts";

const probs = (logits: number[], temperature?: number): number[] => {
  const out = new Float64Array(logits.length);
  softmax(logits, out, temperature);
  return Array.from(out);
};
const logProbs = (logits: number[], temperature?: number): number[] => {
  const out = new Float64Array(logits.length);
  logSoftmax(logits, out, temperature);
  return Array.from(out);
};

describe("softmax", () => {
  it("matches the textbook formula", () => {
    const z = [1, 2, 3];
    const e = z.map(Math.exp);
    const s = e[0]! + e[1]! + e[2]!;
    probs(z).forEach((p, i) => {
      expect(p).toBeCloseTo(e[i]! / s, 14);
    });
    expect(probs([0, 0, 0, 0])).toEqual([0.25, 0.25, 0.25, 0.25]);
  });

  it("is stable for huge logits and invariant to shifting them", () => {
    const big = probs([1000, 1001, 999]);
    for (const p of big) expect(Number.isFinite(p)).toBe(true);
    probs([0, 1, -1]).forEach((p, i) => {
      expect(big[i]).toBeCloseTo(p, 14);
    });
    probs([-1e4, -1e4 + 1, -1e4 - 1]).forEach((p, i) => {
      expect(big[i]).toBeCloseTo(p, 14);
    });
    expect(probs([1e308, 0])).toEqual([1, 0]);
    expect(probs([Number.MAX_VALUE, Number.MAX_VALUE])).toEqual([0.5, 0.5]);
  });

  it("gives zero probability to −∞ logits (an ensemble's log of an underflowed mean)", () => {
    expect(probs([Number.NEGATIVE_INFINITY, 0, 0])).toEqual([0, 0.5, 0.5]);
    expect(probs([Number.NEGATIVE_INFINITY, 0, 0], 2)).toEqual([0, 0.5, 0.5]);
  });

  it("divides the logits by the temperature", () => {
    probs([2, 4, 6], 2).forEach((p, i) => {
      expect(p).toBeCloseTo(probs([1, 2, 3])[i]!, 14);
    });
    // Hotter flattens, colder sharpens.
    expect(probs([0, 1], 100)[1]).toBeLessThan(probs([0, 1])[1]!);
    expect(probs([0, 1], 0.1)[1]).toBeGreaterThan(0.9999);
  });

  it("writes into a Float32Array too, summing to 1", () => {
    const out = new Float32Array(4);
    softmax(Float32Array.from([0.5, -3, 2, 7]), out);
    expect(out.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 6);
  });
});

describe("logSoftmax", () => {
  it("is the log of softmax, also at a temperature", () => {
    for (const T of [1, 0.5, 3]) {
      const z = [0.2, -1.5, 3.3, 0];
      logProbs(z, T).forEach((lp, i) => {
        expect(lp).toBeCloseTo(Math.log(probs(z, T)[i]!), 12);
      });
    }
  });

  it("stays finite where softmax underflows to 0", () => {
    const lp = logProbs([0, 1000]);
    expect(lp[0]).toBeCloseTo(-1000, 9);
    expect(lp[1]).toBe(0);
    expect(probs([0, 1000])[0]).toBe(0);
  });
});

describe("argmax", () => {
  it("returns the first index of the largest value", () => {
    expect(argmax([0.1, 0.7, 0.2])).toBe(1);
    expect(argmax([3, 5, 5, 1])).toBe(1);
    expect(argmax([-2, -1, -3])).toBe(1);
    expect(argmax(Float32Array.from([9]))).toBe(0);
  });
});
