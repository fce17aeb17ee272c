import { beforeEach, describe, expect, it } from "vitest";
import { mulberry32 } from "../../core/random.ts";
import { chooseOperatingPoint, type OperatingPoint, sampleCurve, sweepThresholds } from "./threshold.ts";

/** What routing by `score < threshold → teacher` actually gives on the data. */
function simulate(
  threshold: number,
  scores: ArrayLike<number>,
  studentCorrect: ArrayLike<boolean>,
  teacherCorrect: ArrayLike<boolean>,
): { teacher_rate: number; accuracy: number } {
  let toTeacher = 0;
  let correct = 0;
  for (let i = 0; i < scores.length; i++) {
    const teacher = scores[i]! < threshold;
    if (teacher) toTeacher++;
    if (teacher ? teacherCorrect[i] : studentCorrect[i]) correct++;
  }
  return { teacher_rate: toTeacher / scores.length, accuracy: correct / scores.length };
}

// Six answers; the scores 0.2 and 0.5 are tied pairs.
const SCORES = [0.9, 0.2, 0.5, 0.5, 0.8, 0.2];
const STUDENT = [true, false, true, false, true, false]; // 3/6
const TEACHER = [true, true, false, true, true, true]; // 5/6

describe("sweepThresholds", () => {
  it("lists every operating point of a hand-made case", () => {
    const points = sweepThresholds(SCORES, STUDENT, TEACHER);
    expect(points).toHaveLength(5);
    const [p0, p1, p2, p3, p4] = points as [
      OperatingPoint,
      OperatingPoint,
      OperatingPoint,
      OperatingPoint,
      OperatingPoint,
    ];
    // Rate 0: nothing is below the lowest score; the student's own accuracy.
    expect(p0).toEqual({ threshold: 0.2, teacher_rate: 0, accuracy: 3 / 6 });
    // Both 0.2s move together: two wrong student answers become right.
    expect(p1.teacher_rate).toBeCloseTo(2 / 6, 12);
    expect(p1.accuracy).toBeCloseTo(5 / 6, 12);
    expect(p1.threshold).toBeCloseTo(0.35, 12);
    // Both 0.5s move together: one gained, one lost.
    expect(p2.teacher_rate).toBeCloseTo(4 / 6, 12);
    expect(p2.accuracy).toBeCloseTo(5 / 6, 12);
    expect(p2.threshold).toBeCloseTo(0.65, 12);
    expect(p3.teacher_rate).toBeCloseTo(5 / 6, 12);
    expect(p3.accuracy).toBeCloseTo(5 / 6, 12);
    expect(p3.threshold).toBeCloseTo(0.85, 12);
    // Rate 1: everything goes to the teacher; the teacher's accuracy.
    expect(p4.teacher_rate).toBe(1);
    expect(p4.accuracy).toBeCloseTo(5 / 6, 12);
    expect(p4.threshold).toBeGreaterThan(0.9);
    // Each threshold really gives its stated figures.
    for (const p of points) {
      const real = simulate(p.threshold, SCORES, STUDENT, TEACHER);
      expect(real.teacher_rate).toBeCloseTo(p.teacher_rate, 12);
      expect(real.accuracy).toBeCloseTo(p.accuracy, 12);
    }
  });

  it("puts the last threshold just above the largest score, 0 included", () => {
    for (const top of [0, 0.5, 1]) {
      const last = sweepThresholds([top], [true], [true]).at(-1)!.threshold;
      expect(last, String(top)).toBeGreaterThan(top);
      expect(last, String(top)).toBeLessThan(top + 1e-9);
    }
  });

  it("gives no points for no data", () => {
    expect(sweepThresholds([], [], [])).toEqual([]);
  });

  it("keeps every threshold's figures true on random data with many ties", () => {
    const rng = mulberry32(5);
    for (let trial = 0; trial < 20; trial++) {
      const n = 1 + Math.floor(rng() * 60);
      const scores = Array.from({ length: n }, () => Math.floor(rng() * 8) / 8);
      const student = Array.from({ length: n }, () => rng() < 0.6);
      const teacher = Array.from({ length: n }, () => rng() < 0.8);
      const points = sweepThresholds(scores, student, teacher);
      expect(points).toHaveLength(new Set(scores).size + 1);
      expect(points[0]!.teacher_rate).toBe(0);
      expect(points.at(-1)!.teacher_rate).toBe(1);
      expect(points.at(-1)!.accuracy).toBeCloseTo(teacher.filter(Boolean).length / n, 12);
      expect(points[0]!.accuracy).toBeCloseTo(student.filter(Boolean).length / n, 12);
      for (let i = 1; i < points.length; i++) {
        expect(points[i]!.threshold).toBeGreaterThan(points[i - 1]!.threshold);
        expect(points[i]!.teacher_rate).toBeGreaterThan(points[i - 1]!.teacher_rate);
      }
      for (const p of points) {
        const real = simulate(p.threshold, scores, student, teacher);
        expect(real.teacher_rate).toBeCloseTo(p.teacher_rate, 12);
        expect(real.accuracy).toBeCloseTo(p.accuracy, 12);
      }
    }
  });

  it("separates scores that are adjacent doubles (saturated probabilities near 1)", () => {
    // Confident models produce probabilities one ulp apart; their midpoint can round back down.
    const scores = [1 - 2 ** -52, 1 - 2 ** -53, 1];
    const points = sweepThresholds(scores, [false, false, false], [true, true, true]);
    expect(points.map((p) => p.teacher_rate)).toEqual([0, 1 / 3, 2 / 3, 1]);
    for (const p of points) {
      expect(
        simulate(p.threshold, scores, [false, false, false], [true, true, true]).teacher_rate,
      ).toBeCloseTo(p.teacher_rate, 12);
    }
  });
});

const pt = (teacher_rate: number, accuracy: number, threshold = teacher_rate): OperatingPoint => ({
  threshold,
  teacher_rate,
  accuracy,
});

describe("chooseOperatingPoint", () => {
  // Swept before each test, not at collection (Stryker's "static" code, docs/mutation.md).
  let sweep: OperatingPoint[] = [];
  beforeEach(() => {
    sweep = sweepThresholds(SCORES, STUDENT, TEACHER);
  });
  const teacherAccuracy = 5 / 6;

  it("for a teacher-rate budget takes the most accurate point within it, the cheapest on ties", () => {
    const half = chooseOperatingPoint({ max_prob: sweep }, teacherAccuracy, {
      kind: "teacher_rate",
      value: 0.5,
    });
    expect(half).toEqual({ score: "max_prob", point: sweep[1], met: true });
    // 5/6 is reached at rates 2/6, 4/6 and 5/6: the cheapest wins.
    const most = chooseOperatingPoint({ max_prob: sweep }, teacherAccuracy, {
      kind: "teacher_rate",
      value: 0.9,
    });
    expect(most.point).toBe(sweep[1]);
    const none = chooseOperatingPoint({ max_prob: sweep }, teacherAccuracy, {
      kind: "teacher_rate",
      value: 0,
    });
    expect(none.point).toBe(sweep[0]);
    // A budget equal to a point's rate admits it despite rounding (2/6 vs 0.3333…).
    const exact = chooseOperatingPoint({ max_prob: sweep }, teacherAccuracy, {
      kind: "teacher_rate",
      value: 1 / 3,
    });
    expect(exact.point).toBe(sweep[1]);
  });

  it("for a retention target takes the cheapest point that keeps enough of the teacher's accuracy", () => {
    const high = chooseOperatingPoint({ max_prob: sweep }, teacherAccuracy, {
      kind: "retention",
      value: 0.9,
    });
    expect(high).toEqual({ score: "max_prob", point: sweep[1], met: true });
    // Student alone (0.5) already keeps 60% of the teacher's 5/6.
    const low = chooseOperatingPoint({ max_prob: sweep }, teacherAccuracy, { kind: "retention", value: 0.6 });
    expect(low.point).toBe(sweep[0]);
    const full = chooseOperatingPoint({ max_prob: sweep }, teacherAccuracy, { kind: "retention", value: 1 });
    expect(full.point).toBe(sweep[1]);
  });

  it("compares across score kinds", () => {
    const sweeps = {
      max_prob: [pt(0, 0.6), pt(0.4, 0.8), pt(1, 0.9)],
      margin: [pt(0, 0.6), pt(0.3, 0.85), pt(1, 0.9)],
      entropy: [pt(0, 0.6), pt(0.2, 0.7), pt(1, 0.9)],
    };
    const budget = chooseOperatingPoint(sweeps, 0.9, { kind: "teacher_rate", value: 0.4 });
    expect(budget).toEqual({ score: "margin", point: sweeps.margin[1], met: true });
    // Accuracy ≥ 0.7 (a retention of 0.7 / 0.9): entropy gets there cheapest.
    const loose = chooseOperatingPoint(sweeps, 0.9, { kind: "retention", value: 0.7 / 0.9 });
    expect(loose).toEqual({ score: "entropy", point: sweeps.entropy[1], met: true });
    // Accuracy ≥ 0.75: entropy's cheap point no longer qualifies; margin's is the cheapest left.
    const tight = chooseOperatingPoint(sweeps, 0.9, { kind: "retention", value: 0.75 / 0.9 });
    expect(tight).toEqual({ score: "margin", point: sweeps.margin[1], met: true });
  });

  it("falls back to the most accurate point, the cheapest on ties, when nothing meets the target", () => {
    const sweeps = {
      max_prob: [pt(0, 0.5), pt(0.9, 0.8), pt(1, 0.7)],
      margin: [pt(0, 0.5), pt(0.5, 0.8), pt(1, 0.7)],
    };
    const choice = chooseOperatingPoint(sweeps, 0.7, { kind: "retention", value: 1.2 });
    expect(choice).toEqual({ score: "margin", point: sweeps.margin[1], met: false });
  });

  it("breaks ties across score kinds by teacher rate, then by accuracy, whichever kind comes first", () => {
    // Equal accuracy within the budget: the cheaper point, first or second.
    for (const [a, b, want] of [
      [pt(0.3, 0.8), pt(0.2, 0.8), "margin"],
      [pt(0.2, 0.8), pt(0.3, 0.8), "max_prob"],
    ] as const) {
      const choice = chooseOperatingPoint({ max_prob: [a], margin: [b] }, 0.9, {
        kind: "teacher_rate",
        value: 0.5,
      });
      expect(choice.score).toBe(want);
    }
    // Equal teacher rate meeting the retention target: the more accurate point, first or second.
    for (const [a, b, want] of [
      [pt(0.3, 0.8), pt(0.3, 0.85), "margin"],
      [pt(0.3, 0.85), pt(0.3, 0.8), "max_prob"],
    ] as const) {
      const choice = chooseOperatingPoint({ max_prob: [a], margin: [b] }, 0.9, {
        kind: "retention",
        value: 0.7,
      });
      expect(choice.score).toBe(want);
    }
  });

  it("falls back to the cheapest of the most accurate points when that one comes first", () => {
    const sweeps = {
      max_prob: [pt(0, 0.5), pt(0.5, 0.8), pt(1, 0.7)],
      margin: [pt(0, 0.5), pt(0.9, 0.8), pt(1, 0.7)],
    };
    const choice = chooseOperatingPoint(sweeps, 0.7, { kind: "retention", value: 1.2 });
    expect(choice).toEqual({ score: "max_prob", point: sweeps.max_prob[1], met: false });
  });

  it("refuses to choose from nothing", () => {
    expect(() => chooseOperatingPoint({}, 0.9, { kind: "teacher_rate", value: 0.5 })).toThrow(
      /no operating points/,
    );
    expect(() => chooseOperatingPoint({ max_prob: [] }, 0.9, { kind: "retention", value: 0.9 })).toThrow();
  });
});

describe("sampleCurve", () => {
  const curve = Array.from({ length: 100 }, (_, k) => pt(k / 99, 0.5 + (0.4 * k) / 99, k));

  it("thins to at most `count` points, keeping both ends and the order", () => {
    for (const count of [2, 5, 11, 41, 99]) {
      const sampled = sampleCurve(curve, count);
      expect(sampled.length).toBeLessThanOrEqual(count);
      expect(sampled[0]).toBe(curve[0]);
      expect(sampled.at(-1)).toBe(curve.at(-1));
      for (const p of sampled) expect(curve).toContain(p);
      for (let i = 1; i < sampled.length; i++)
        expect(sampled[i]!.teacher_rate).toBeGreaterThan(sampled[i - 1]!.teacher_rate);
    }
    // Evenly spread rates give evenly spread samples.
    expect(sampleCurve(curve, 11).map((p) => Math.round(p.teacher_rate * 10))).toEqual([
      0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10,
    ]);
  });

  it("keeps a short curve whole (as a copy)", () => {
    const short = curve.slice(0, 5);
    const sampled = sampleCurve(short, 41);
    expect(sampled).toEqual(short);
    expect(sampled).not.toBe(short);
  });

  it("samples a curve of exactly `count` points whole", () => {
    const uneven = [pt(0, 0.5), pt(0.05, 0.6), pt(0.9, 0.8), pt(1, 0.8)];
    expect(sampleCurve(uneven, 4)).toEqual(uneven);
  });

  it("does not repeat a point held over several samples after the second", () => {
    const gappy = [
      pt(0, 0.5),
      pt(0.1, 0.6),
      pt(0.2, 0.7),
      ...Array.from({ length: 20 }, (_, i) => pt(0.9 + i / 190, 0.8)),
    ];
    const sampled = sampleCurve(gappy, 11);
    expect(new Set(sampled).size).toBe(sampled.length);
  });

  it("does not repeat a point when the curve has gaps in teacher rate", () => {
    const gappy = [
      pt(0, 0.5),
      pt(0.05, 0.6),
      pt(0.9, 0.8),
      ...Array.from({ length: 50 }, (_, i) => pt(0.9 + (0.1 * (i + 1)) / 50, 0.8)),
    ];
    const sampled = sampleCurve(gappy, 11);
    expect(new Set(sampled).size).toBe(sampled.length);
    expect(sampled[0]).toBe(gappy[0]);
    expect(sampled.at(-1)).toBe(gappy.at(-1));
  });
});

describe("sweepThresholds with weights", () => {
  it("gives the figures of the data with each record repeated `weight` times", () => {
    const rng = mulberry32(11);
    for (let trial = 0; trial < 10; trial++) {
      const n = 1 + Math.floor(rng() * 40);
      const scores = Array.from({ length: n }, () => Math.floor(rng() * 6) / 6);
      const student = Array.from({ length: n }, () => rng() < 0.6);
      const teacher = Array.from({ length: n }, () => rng() < 0.9);
      const weights = Array.from({ length: n }, () => 1 + Math.floor(rng() * 4));
      const repeat = <T>(xs: T[]) => xs.flatMap((x, i) => Array<T>(weights[i]!).fill(x));
      const weighted = sweepThresholds(scores, student, teacher, weights);
      const repeated = sweepThresholds(repeat(scores), repeat(student), repeat(teacher));
      expect(weighted).toHaveLength(repeated.length);
      weighted.forEach((p, k) => {
        expect(p.threshold).toBe(repeated[k]!.threshold);
        expect(p.teacher_rate).toBeCloseTo(repeated[k]!.teacher_rate, 12);
        expect(p.accuracy).toBeCloseTo(repeated[k]!.accuracy, 12);
      });
    }
  });

  it("ends at a teacher rate of exactly 1, whatever the rounding of the weights' sums", () => {
    // Summed in score order the weights give 0.6; in index order 0.6000000000000001.
    const points = sweepThresholds([0.9, 0.5, 0.1], [true, true, true], [true, true, true], [0.1, 0.2, 0.3]);
    expect(points.at(-1)?.teacher_rate).toBe(1);
  });

  it("takes 0/1 flags as well as booleans", () => {
    expect(sweepThresholds(SCORES, STUDENT.map(Number), TEACHER.map(Number))).toEqual(
      sweepThresholds(SCORES, STUDENT, TEACHER),
    );
  });
});
