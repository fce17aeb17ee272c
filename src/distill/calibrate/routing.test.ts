import { describe, expect, it } from "vitest";
import { RoutingSpec } from "../../core/manifest.ts";
import { mulberry32 } from "../../core/random.ts";
import { confidenceScore, SCORE_KINDS, type ScoreKind } from "../../core/scores.ts";
import { argmax, softmax } from "../../core/softmax.ts";
import { chooseRouting } from "./routing.ts";

/**
 * A synthetic validation set: the student is right when it is confident and often wrong when it is
 * not; the teacher is right 90% of the time.
 */
function synthetic(n: number, classes: number, seed: number) {
  const rng = mulberry32(seed);
  const student: Float32Array[] = [];
  const teacher: Float32Array[] = [];
  const gold = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const y = Math.floor(rng() * classes);
    gold[i] = y;
    const sharpness = rng() * 6;
    const right = rng() < 0.3 + sharpness / 8;
    const guess = right ? y : (y + 1 + Math.floor(rng() * (classes - 1))) % classes;
    student.push(Float32Array.from({ length: classes }, (_, k) => (k === guess ? sharpness : rng())));
    const teacherGuess = rng() < 0.9 ? y : (y + 1) % classes;
    teacher.push(Float32Array.from({ length: classes }, (_, k) => (k === teacherGuess ? 5 : 0)));
  }
  return { student, teacher, gold };
}

/** Applies a routing rule (score < threshold → teacher) and measures it. */
function apply(
  data: ReturnType<typeof synthetic>,
  temperature: number,
  score: ScoreKind,
  threshold: number,
): { teacher_rate: number; accuracy: number } {
  const probs = new Float64Array(data.student[0]!.length);
  let toTeacher = 0;
  let correct = 0;
  data.student.forEach((z, i) => {
    softmax(z, probs, temperature);
    const useTeacher = confidenceScore(score, probs) < threshold;
    if (useTeacher) toTeacher++;
    const answer = useTeacher ? argmax(data.teacher[i]!) : argmax(z);
    if (answer === data.gold[i]) correct++;
  });
  return { teacher_rate: toTeacher / data.gold.length, accuracy: correct / data.gold.length };
}

/** Every threshold worth trying for a score kind: each distinct score, and one above them all. */
function candidates(data: ReturnType<typeof synthetic>, temperature: number, score: ScoreKind): number[] {
  const probs = new Float64Array(data.student[0]!.length);
  const values = data.student.map((z) => {
    softmax(z, probs, temperature);
    return confidenceScore(score, probs);
  });
  return [...new Set(values), Number.POSITIVE_INFINITY];
}

describe("chooseRouting", () => {
  const data = synthetic(300, 4, 17);
  const T = 1.5;
  const teacherAccuracy = data.teacher.filter((z, i) => argmax(z) === data.gold[i]).length / data.gold.length;

  it("meets a teacher-rate budget, and the rule really behaves as its validation figures say", () => {
    const spec = chooseRouting(data.student, data.teacher, data.gold, T, {
      kind: "teacher_rate",
      value: 0.3,
    });
    expect(RoutingSpec.safeParse(spec).success).toBe(true);
    expect(spec.target).toEqual({ kind: "teacher_rate", value: 0.3 });
    expect(spec.validation.teacher_rate).toBeLessThanOrEqual(0.3);
    const real = apply(data, T, spec.score, spec.threshold);
    expect(real.teacher_rate).toBeCloseTo(spec.validation.teacher_rate, 12);
    expect(real.accuracy).toBeCloseTo(spec.validation.accuracy, 12);
    expect(spec.validation.retention).toBeCloseTo(spec.validation.accuracy / teacherAccuracy, 12);
    // No rule of any kind within the budget is more accurate.
    for (const kind of SCORE_KINDS) {
      for (const t of candidates(data, T, kind)) {
        const r = apply(data, T, kind, t);
        if (r.teacher_rate <= 0.3) expect(r.accuracy).toBeLessThanOrEqual(spec.validation.accuracy + 1e-12);
      }
    }
    // Routing helps: better than the student alone.
    expect(spec.validation.accuracy).toBeGreaterThan(apply(data, T, "max_prob", 0).accuracy);
  });

  it("meets a retention target at the lowest teacher rate any score kind allows", () => {
    const spec = chooseRouting(data.student, data.teacher, data.gold, T, { kind: "retention", value: 0.97 });
    expect(RoutingSpec.safeParse(spec).success).toBe(true);
    expect(spec.validation.retention).toBeGreaterThanOrEqual(0.97);
    const real = apply(data, T, spec.score, spec.threshold);
    expect(real.teacher_rate).toBeCloseTo(spec.validation.teacher_rate, 12);
    expect(real.accuracy).toBeCloseTo(spec.validation.accuracy, 12);
    for (const kind of SCORE_KINDS) {
      for (const t of candidates(data, T, kind)) {
        const r = apply(data, T, kind, t);
        if (r.accuracy >= 0.97 * teacherAccuracy - 1e-12) {
          expect(r.teacher_rate).toBeGreaterThanOrEqual(spec.validation.teacher_rate - 1e-12);
        }
      }
    }
  });

  it("sends nothing to the teacher when the budget is zero", () => {
    const spec = chooseRouting(data.student, data.teacher, data.gold, T, { kind: "teacher_rate", value: 0 });
    expect(spec.validation.teacher_rate).toBe(0);
    expect(apply(data, T, spec.score, spec.threshold).teacher_rate).toBe(0);
  });

  it("gives a retention of 0, not NaN, when the teacher is never right", () => {
    const wrongTeacher = data.teacher.map((_, i) =>
      Float32Array.from({ length: 4 }, (_, k) => (k === data.gold[i] ? 0 : 1)),
    );
    const spec = chooseRouting(data.student, wrongTeacher, data.gold, T, {
      kind: "teacher_rate",
      value: 0.3,
    });
    expect(spec.validation.retention).toBe(0);
  });

  it("refuses an empty validation set", () => {
    expect(() => chooseRouting([], [], new Int32Array(0), 1, { kind: "teacher_rate", value: 0.2 })).toThrow(
      "no operating points to choose from",
    );
  });
});
