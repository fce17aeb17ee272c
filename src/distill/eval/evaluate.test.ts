import { describe, expect, it } from "vitest";
import smsManifest from "../../../models/sms-spam/manifest.json";
import { weightOf } from "../../core/hard-example.ts";
import { ModelManifest } from "../../core/manifest.ts";
import { evaluationOf } from "../pipeline/ship.ts";
import { answerLogits } from "../pipeline/teacher-answers.ts";
import { type EvalInputs, evaluate } from "./evaluate.ts";

/**
 * A held-out slice of logged records as a live student leaves it: every escalated answer is logged
 * (logged_p 1) but a confident one only at the audit rate. Here 4 escalated records the student gets
 * wrong and 4 audit records at logged_p 0.05 it gets right: the log is half hard cases, the traffic
 * (4 + 4 × 20 = 84 requests) mostly easy ones.
 */
const labels = ["a", "b"];
const confident = Float32Array.of(4, -4); // p(a) ≈ 0.9997: served by the student
const unsure = Float32Array.of(0.1, 0); // p(a) ≈ 0.52: escalated
const records = [
  ...Array.from({ length: 4 }, () => ({ logits: unsure, teacher: 1, logged_p: 1 })),
  ...Array.from({ length: 4 }, () => ({ logits: confident, teacher: 0, logged_p: 0.05 })),
];

function inputs(weights?: number[]): EvalInputs {
  return {
    dataset: "slice",
    modelName: "m",
    modelVersion: "1",
    labels,
    outOfScopeLabel: null,
    gold: Int32Array.from(records, (r) => r.teacher),
    studentLogits: records.map((r) => r.logits),
    teacherLogits: records.map((r) => answerLogits(r.teacher, labels.length)),
    temperature: 1,
    routing: { score: "max_prob", threshold: 0.9 },
    onnxBytes: 1,
    ...(weights ? { weights } : {}),
  };
}

describe("evaluate on logged records weighted by 1 / logged_p", () => {
  const weights = records.map(weightOf);
  const { summary } = evaluate(inputs(weights));

  it("teacher rate, agreement and the student's accuracy speak for the traffic, not the log", () => {
    // Unweighted, the log says half the traffic escalates and the student is right half the time.
    const unweighted = evaluate(inputs()).summary;
    expect(unweighted.cascade.teacher_rate).toBe(0.5);
    expect(unweighted.student.accuracy).toBe(0.5);
    expect(summary.cascade.teacher_rate).toBeCloseTo(4 / 84, 12);
    expect(summary.student.accuracy).toBeCloseTo(80 / 84, 12);
    expect(summary.cascade.accuracy).toBe(1);
    expect(summary.n_test).toBe(8);
    // The curve's shipped point is the weighted one too.
    expect(summary.curve.some((p) => Math.abs(p.teacher_rate - 4 / 84) < 1e-12)).toBe(true);
  });

  it("intervals are Wilson on the Kish effective sample size, far below the 8 records", () => {
    const w = summary.weighting!;
    expect(w.effective_n).toBeCloseTo(84 ** 2 / (4 + 4 * 400), 9);
    expect(w.teacher_rate.value).toBeCloseTo(4 / 84, 12);
    expect(w.teacher_rate.lo).toBeLessThan(w.teacher_rate.value);
    // On ~4.4 effective records the interval is wide: a rate near 5% could well be 40%.
    expect(w.teacher_rate.hi).toBeGreaterThan(0.4);
    expect(w.student_accuracy.lo).toBeLessThan(0.7);
    expect(evaluate(inputs()).summary.weighting).toBeUndefined();
  });

  it("the manifest records the weighted figures with their intervals", () => {
    const evaluation = evaluationOf(summary, "held-out");
    expect(evaluation.cascade.teacher_rate).toBeCloseTo(4 / 84, 12);
    expect(evaluation.weighting).toEqual({
      by: "inverse_logged_p",
      effective_n: summary.weighting!.effective_n,
      interval: "wilson-kish-95",
      teacher_rate: [summary.weighting!.teacher_rate.lo, summary.weighting!.teacher_rate.hi],
      cascade_accuracy: [summary.weighting!.cascade_accuracy.lo, summary.weighting!.cascade_accuracy.hi],
      student_accuracy: [summary.weighting!.student_accuracy.lo, summary.weighting!.student_accuracy.hi],
    });
    // A shipped manifest with this evaluation is valid; one without `weighting` still is.
    expect(ModelManifest.parse({ ...smsManifest, evaluation }).evaluation).toEqual(evaluation);
    expect(() => ModelManifest.parse(smsManifest)).not.toThrow();
  });
});
