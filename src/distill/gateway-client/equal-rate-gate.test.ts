import { describe, expect, it } from "vitest";
import { mulberry32 } from "../../core/random.ts";
import { outcomesAtRate } from "../calibrate/equal-rate.ts";
import { probsOf } from "../calibrate/testing.ts";
import {
  EQUAL_RATE_GATE_RULE,
  equalRateGate,
  type GateStudent,
  pairedDifference,
} from "./equal-rate-gate.ts";

const OPTIONS = { tolerance: 0.002, force: false };
const CLASSES = 4;

/**
 * A held-out slice of `n` records and a student on it: it answers the teacher's label with probability
 * `skill`, and its top probability says so (sure when right, unsure when wrong) with `sharpness`.
 */
function slice(n: number, seed: number) {
  const rng = mulberry32(seed);
  const teacherLabel = Int32Array.from({ length: n }, () => Math.floor(rng() * CLASSES));
  const weight = Float64Array.from({ length: n }, () => (rng() < 0.3 ? 1 : 5));
  const student = (version: string, skill: number, sharpness: number, studentSeed: number): GateStudent => {
    const r = mulberry32(studentSeed);
    const probs = Array.from(teacherLabel, (label) => {
      const right = r() < skill;
      const answer = right ? label : (label + 1 + Math.floor(r() * (CLASSES - 1))) % CLASSES;
      const signal = right ? 0.5 + 0.5 * r() : 0.5 * r();
      const top = 0.3 + 0.65 * (sharpness * signal + (1 - sharpness) * r());
      return probsOf(answer, top, (1 - top) / 2, CLASSES);
    });
    return { version, rule: { score: "max_prob" }, probs };
  };
  return { teacherLabel, weight, student };
}

describe("equalRateGate", () => {
  const { teacherLabel, weight, student } = slice(3000, 1);
  const live = student("1.0.0", 0.8, 0.7, 10);

  it("passes a better candidate: more agreement at the same teacher rate, a paired interval above 0", () => {
    const candidate = student("1.1.0", 0.9, 0.7, 11);
    const v = equalRateGate({ candidate, live, teacherLabel, weight, rate: 0.2 }, OPTIONS);
    expect(v.pass).toBe(true);
    expect(v.forced).toBe(false);
    expect(v.atRate!.rate).toBe(0.2);
    expect(v.atRate!.difference.lo).toBeGreaterThan(0);
    expect(v.atRate!.candidate.agreement).toBeGreaterThan(v.atRate!.live.agreement);
    expect(v.reason).toMatch(/^new agrees more with the teacher at teacher rate 20\.00%/);
    expect(v.grid.map((c) => c.rate)).toEqual([0.05, 0.1, 0.2, 0.3, 0.5]);
  });

  it("refuses a worse candidate at the same teacher rate", () => {
    const candidate = student("1.1.0", 0.7, 0.7, 12);
    const v = equalRateGate({ candidate, live, teacherLabel, weight, rate: 0.2 }, OPTIONS);
    expect(v.pass).toBe(false);
    expect(v.atRate!.difference.hi).toBeLessThan(0);
    expect(v.reason).toMatch(/^new agrees less with the teacher, beyond the 0\.20% tolerance/);
    const forced = equalRateGate(
      { candidate, live, teacherLabel, weight, rate: 0.2 },
      { ...OPTIONS, force: true },
    );
    expect(forced).toMatchObject({ pass: true, forced: true });
    expect(forced.reason).toMatch(/\(overridden by --force\)$/);
  });

  it("does not let a candidate buy agreement with teacher calls: both are held to the candidate's rate", () => {
    // The candidate ships at 40%; the live one was at 10%. At its own rates the candidate looks better,
    // but at 40% the live student (a better ranker) agrees more.
    const candidate = student("1.1.0", 0.8, 0.2, 13);
    const v = equalRateGate({ candidate, live, teacherLabel, weight, rate: 0.4, grid: [0.1] }, OPTIONS);
    const liveAtItsOwnRate = v.grid[0]!.live.agreement;
    expect(v.atRate!.candidate.agreement).toBeGreaterThan(liveAtItsOwnRate);
    expect(v.atRate!.live.agreement).toBeGreaterThan(v.atRate!.candidate.agreement);
    expect(v.pass).toBe(false);
  });

  it("forgives a drop within the tolerance, and passes an identical candidate", () => {
    const same = equalRateGate(
      { candidate: { ...live, version: "1.1.0" }, live, teacherLabel, weight, rate: 0.3 },
      OPTIONS,
    );
    expect(same.pass).toBe(true);
    expect(same.atRate!.difference).toEqual({ value: 0, lo: 0, hi: 0 });
    const slightlyWorse = student("1.1.0", 0.79, 0.7, 10);
    const loose = equalRateGate(
      { candidate: slightlyWorse, live, teacherLabel, weight, rate: 0.3 },
      { tolerance: 0.05, force: false },
    );
    expect(loose.atRate!.difference.value).toBeLessThan(0);
    expect(loose.pass).toBe(true);
    expect(loose.reason).toMatch(/agrees at most 5\.00% less/);
  });

  it("passes with nothing live to defend, and refuses to compare on no records or misaligned ones", () => {
    const candidate = student("1.1.0", 0.9, 0.7, 11);
    expect(equalRateGate({ candidate, live: null, teacherLabel, weight, rate: 0.2 }, OPTIONS)).toMatchObject({
      pass: true,
      atRate: null,
      reason: "no live student to compare with",
    });
    const empty = { version: "x", rule: { score: "max_prob" as const }, probs: [] };
    const none = equalRateGate(
      {
        candidate: empty,
        live: empty,
        teacherLabel: new Int32Array(0),
        weight: new Float64Array(0),
        rate: 0.2,
      },
      OPTIONS,
    );
    expect(none.pass).toBe(false);
    expect(none.reason).toMatch(/no held-out records/);
    const short = { ...live, probs: live.probs.slice(1) };
    expect(() => equalRateGate({ candidate, live: short, teacherLabel, weight, rate: 0.2 }, OPTIONS)).toThrow(
      /live/,
    );
  });

  it("reports each side's agreement as the equal-rate outcomes give it", () => {
    const candidate = student("1.1.0", 0.9, 0.7, 11);
    const v = equalRateGate({ candidate, live, teacherLabel, weight, rate: 0.25 }, OPTIONS);
    const agrees = Uint8Array.from(candidate.probs, (p, i) =>
      Number(p.indexOf(Math.max(...p)) === teacherLabel[i]),
    );
    const scores = Float64Array.from(candidate.probs, (p) => Math.max(...p));
    const out = new Float64Array(scores.length);
    expect(v.atRate!.candidate).toEqual(outcomesAtRate(scores, agrees, weight, 0.25, out));
    expect(EQUAL_RATE_GATE_RULE).toMatch(/same share of\ntraffic to the teacher/);
  });
});

describe("pairedDifference", () => {
  it("is the weighted mean difference with the standard error of a weighted mean", () => {
    const a = Float64Array.from([1, 1, 0, 1]);
    const b = Float64Array.from([1, 0, 0, 0]);
    const w = Float64Array.from([1, 1, 1, 1]);
    const d = pairedDifference(a, b, w);
    // d = (0, 1, 0, 1): mean ½, SE = √(Σ(d − ½)²) / 4 = √1 / 4.
    expect(d.value).toBeCloseTo(0.5, 12);
    expect(d.hi - d.value).toBeCloseTo(1.96 * 0.25, 12);
    expect(d.value - d.lo).toBeCloseTo(1.96 * 0.25, 12);
    // Doubling every weight changes nothing; weighting one record moves the mean toward it.
    expect(pairedDifference(a, b, Float64Array.from([2, 2, 2, 2]))).toEqual(d);
    expect(pairedDifference(a, b, Float64Array.from([1, 3, 1, 1])).value).toBeCloseTo(4 / 6, 12);
  });
});
