import { describe, expect, it } from "vitest";
import { RoutingSpec } from "../../core/manifest.ts";
import { fitOnTeacherAnswers, type LoggedLogits, targetOf } from "./teacher-answers.ts";

/**
 * Held-out slice: 4 confident answers the teacher agrees with, logged at the audit rate 0.1 (weight
 * 10), and 4 less confident ones it does not, escalated and always logged (weight 1).
 */
function slice(weighted: boolean): LoggedLogits {
  const confident = [4, 4.5, 5, 5.5].map((m) => Float32Array.from([m, 0]));
  const unsure = [0.5, 0.8, 1.1, 1.4].map((m) => Float32Array.from([m, 0]));
  return {
    logits: [...confident, ...unsure],
    teacherLabel: Int32Array.from([0, 0, 0, 0, 1, 1, 1, 1]),
    weight: Float64Array.from([1, 1, 1, 1, 1, 1, 1, 1], (w, i) => (weighted && i < 4 ? 10 : w)),
  };
}
const none: LoggedLogits = { logits: [], teacherLabel: new Int32Array(0), weight: new Float64Array(0) };

describe("fitOnTeacherAnswers: routing fitted to agreement with the teacher, weighted by 1 / P(logged)", () => {
  it("weights each record: the log over-represents disagreements, the traffic does not", () => {
    const goal = { keepAgreement: 0.9 };
    const unweighted = fitOnTeacherAnswers(slice(false), goal);
    const weighted = fitOnTeacherAnswers(slice(true), goal);
    // Unweighted, half the slice disagrees: every unsure answer must go to the teacher.
    expect(unweighted.fit.best!.teacherRate.value).toBeCloseTo(0.5, 12);
    expect(unweighted.fit.best!.agreement.value).toBe(1);
    // Weighted, the student alone agrees on 40 / 44 ≥ 90% of the traffic: nothing needs escalating.
    expect(weighted.fit.best!.teacherRate.value).toBe(0);
    expect(weighted.fit.best!.agreement.value).toBeCloseTo(40 / 44, 12);
    expect(weighted.routing.threshold).toBeLessThan(unweighted.routing.threshold);
    expect(weighted.fit.effectiveN).toBeLessThan(weighted.fit.n);
    // The temperature is fitted on the weighted NLL too: mostly right answers make it sharper.
    expect(weighted.temperature).toBeLessThan(unweighted.temperature);
  });

  it("ships a valid manifest rule recording the agreement target and what it gave on the slice", () => {
    const { routing, fit } = fitOnTeacherAnswers(slice(true), { keepAgreement: 0.9 });
    expect(RoutingSpec.parse(routing)).toEqual(routing);
    expect(routing.target).toEqual({ kind: "agreement", value: 0.9 });
    expect(routing.score).toBe(fit.best!.score);
    expect(routing.validation).toEqual({
      teacher_rate: fit.best!.teacherRate.value,
      accuracy: fit.best!.agreement.value,
      retention: fit.best!.agreement.value,
    });
    // The slice has disagreements to learn from, so the cross-fitted deferral is compared too.
    expect(fit.rows.map((r) => r.score)).toEqual(["max_prob", "margin", "entropy", "learned"]);
    expect(targetOf({ maxTeacherRate: 0.3 })).toEqual({ kind: "teacher_rate", value: 0.3 });
  });

  it("cross-fits the learned deferral on the slice and shows it beside the score kinds", () => {
    // The student disagrees with the teacher when its margin is small.
    const margins: LoggedLogits = {
      logits: Array.from({ length: 40 }, (_, i) => Float32Array.from([0.2 + (i % 20) * 0.3, 0])),
      teacherLabel: Int32Array.from({ length: 40 }, (_, i) => (i % 20 < 5 ? 1 : 0)),
      weight: new Float64Array(40).fill(1),
    };
    const { fit, routing } = fitOnTeacherAnswers(margins, { keepAgreement: 0.9 });
    expect(fit.rows.map((r) => r.score)).toEqual(["max_prob", "margin", "entropy", "learned"]);
    expect(RoutingSpec.safeParse(routing).success).toBe(true);
    // A slice on which the student always agrees has no disagreement to learn: no learned row.
    const agreeing = { ...margins, teacherLabel: new Int32Array(40) };
    expect(fitOnTeacherAnswers(agreeing, { keepAgreement: 0.9 }).fit.rows).toHaveLength(3);
  });

  it("refuses an empty slice", () => {
    expect(() => fitOnTeacherAnswers(none, { keepAgreement: 0.9 })).toThrow(/no held-out/);
  });
});
