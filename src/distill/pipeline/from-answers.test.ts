import { describe, expect, it } from "vitest";
import { ANSWERS_STUDENT_RECIPE, type DistillOptions, STUDENT_RECIPE, TEACHER_RECIPE } from "./config.ts";
import { ANSWER_PASSES, recipeForAnswers } from "./from-answers.ts";

const options: DistillOptions = {
  name: "m",
  out: "x",
  seed: 1,
  teacher: TEACHER_RECIPE,
  student: ANSWERS_STUDENT_RECIPE,
  kd: { temperature: 2, alpha: 0.3 },
  augment: 2,
  oosMaxInScopeDrop: 0.003,
  target: { kind: "teacher_rate", value: 0.25 },
  quiet: true,
};

describe("recipeForAnswers: the student recipe when learning from many logged answers", () => {
  it("keeps the recipe for few records", () => {
    expect(recipeForAnswers(options, 1000)).toBe(options);
  });

  it("cuts the epochs to the pass budget, at least 2, raising the learning rate at most 4×", () => {
    const many = recipeForAnswers(options, 16_000);
    expect(many.student.epochs).toBe(2);
    expect(many.student.epochs * 16_000 * 3).toBeLessThanOrEqual(ANSWER_PASSES);
    // 10 epochs in 2 would be 5× the learning rate: capped at 4×.
    expect(many.student.lr).toBeCloseTo(ANSWERS_STUDENT_RECIPE.lr * 4);
    // The labelled pipeline's 5 epochs in 2: 2.5×.
    const fiveEpochs = { ...options, student: STUDENT_RECIPE };
    expect(STUDENT_RECIPE.epochs).toBe(5);
    expect(recipeForAnswers(fiveEpochs, 16_000).student.lr).toBeCloseTo(STUDENT_RECIPE.lr * 2.5);
    expect(recipeForAnswers(options, 1_000_000).student.epochs).toBe(2);
    const some = recipeForAnswers(options, 6000);
    expect(some.student.epochs).toBe(5);
    expect(some.student.lr).toBeCloseTo((ANSWERS_STUDENT_RECIPE.lr * 10) / 5);
    // Everything else of the recipe is kept.
    expect({ ...many.student, epochs: 0, lr: 0 }).toEqual({ ...ANSWERS_STUDENT_RECIPE, epochs: 0, lr: 0 });
  });
});
