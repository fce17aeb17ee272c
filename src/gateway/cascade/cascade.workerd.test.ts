import { describe, expect, it } from "vitest";
import { deferralConfidence, type LearnedDeferral } from "../../core/deferral.ts";
import { type ModelManifest, RoutingSpec } from "../../core/manifest.ts";
import { confidenceScore, SCORE_KINDS, type ScoreKind } from "../../core/scores.ts";
import { softmax } from "../../core/softmax.ts";
import type { TeacherAnswer, TeacherOutcome } from "../teacher-client/types.ts";
import { combine, teacherSlots } from "./answer.ts";
import {
  calibratedProbs,
  effectiveThreshold,
  shouldAskTeacher,
  studentVerdict,
  TEACHER_MODES,
} from "./decide.ts";

/** The routing decision as pure functions: no model, no teacher, only numbers. */
type Routing = Pick<ModelManifest, "labels" | "calibration" | "routing">;
const manifest = (score: ScoreKind, threshold: number, temperature = 1): Routing => ({
  labels: ["a", "b", "c"],
  calibration: { method: "temperature", temperature, fittedOn: "val" },
  routing: {
    score,
    threshold,
    target: { kind: "teacher_rate", value: 0.25 },
    validation: { teacher_rate: 0.1, accuracy: 0.9, retention: 1 },
  },
});

const SHARP = [4, 0, -1];
const UNSURE = [0.3, 0.2, 0];

describe("calibrated probabilities", () => {
  it("are softmax(logits / T) with the manifest's temperature", () => {
    for (const T of [0.57, 1, 2.5]) {
      const want = new Float64Array(3);
      softmax(
        SHARP.map((z) => z / T),
        want,
      );
      const got = calibratedProbs(SHARP, T);
      got.forEach((p, i) => {
        expect(p).toBeCloseTo(want[i]!, 14);
      });
      expect(got.reduce((s, p) => s + p, 0)).toBeCloseTo(1, 12);
    }
    // T < 1 sharpens, T > 1 flattens: the student's confidence depends on its calibration.
    expect(calibratedProbs(SHARP, 0.5)[0]).toBeGreaterThan(calibratedProbs(SHARP, 1)[0]!);
    expect(calibratedProbs(SHARP, 2)[0]).toBeLessThan(calibratedProbs(SHARP, 1)[0]!);
  });

  it("give the verdict's label, confidence and the manifest's score kind", () => {
    for (const kind of SCORE_KINDS) {
      const v = studentVerdict([0.1, 2, 0.5], manifest(kind, 0.5, 0.8));
      const probs = calibratedProbs([0.1, 2, 0.5], 0.8);
      expect(v.label).toBe("b");
      expect(v.labelIndex).toBe(1);
      expect(v.confidence).toBe(probs[1]);
      expect(v.score).toBe(confidenceScore(kind, probs));
    }
  });
});

describe("routing decision", () => {
  it("auto asks exactly when the score is below the threshold", () => {
    expect(shouldAskTeacher("auto", 0.2, 0.3)).toBe(true);
    expect(shouldAskTeacher("auto", 0.3, 0.3)).toBe(false); // equal is confident enough
    expect(shouldAskTeacher("auto", 0.9, 0.3)).toBe(false);
  });

  it("never and always ignore the score", () => {
    for (const score of [0, 0.5, 1]) {
      expect(shouldAskTeacher("never", score, 0.5)).toBe(false);
      expect(shouldAskTeacher("always", score, 0.5)).toBe(true);
    }
    expect(TEACHER_MODES).toEqual(["auto", "never", "always"]);
  });

  it("a request's threshold overrides the manifest's", () => {
    const m = manifest("max_prob", 0.6);
    expect(effectiveThreshold(m)).toBe(0.6);
    expect(effectiveThreshold(m, 0.9)).toBe(0.9);
    expect(effectiveThreshold(m, 0)).toBe(0);
  });

  it.each(SCORE_KINDS)(
    "%s: unsure logits escalate, sharp ones do not, and an override moves the line",
    (kind) => {
      const m = manifest(kind, 0.5);
      const unsure = studentVerdict(UNSURE, m);
      const sharp = studentVerdict(SHARP, m);
      const threshold = effectiveThreshold(m);
      expect(shouldAskTeacher("auto", unsure.score, threshold)).toBe(true);
      expect(shouldAskTeacher("auto", sharp.score, threshold)).toBe(false);
      // Threshold 0 sends nothing, threshold 1 sends anything short of certainty.
      expect(shouldAskTeacher("auto", unsure.score, effectiveThreshold(m, 0))).toBe(false);
      expect(shouldAskTeacher("auto", sharp.score, effectiveThreshold(m, 1))).toBe(true);
    },
  );
});

describe("routing on a learned deferral", () => {
  // Same top probability, different runner-up: max_prob cannot tell them apart.
  const CLOSE_RUNNER_UP = [0.5, 0.45, 0.05].map(Math.log);
  const FLAT_TAIL = [0.5, 0.25, 0.25].map(Math.log);
  // P(disagree) = σ(4·log p2 + 4.37): a close runner-up is where the student and the teacher part.
  const deferral: LearnedDeferral = { features: 1, weights: [0, 0, 0, 0, 4, 0], bias: 4.37 };
  const learned: Routing = {
    ...manifest("max_prob", 0.5),
    routing: RoutingSpec.parse({ ...manifest("max_prob", 0.5).routing, score: "learned", deferral }),
  };

  it("scores with the manifest's deferral model: 1 − P(disagree) of the calibrated probabilities", () => {
    const v = studentVerdict(CLOSE_RUNNER_UP, learned);
    expect(v.score).toBe(deferralConfidence(deferral, calibratedProbs(CLOSE_RUNNER_UP, 1)));
    expect(v.label).toBe("a");
  });

  it("escalates the close runner-up and keeps the flat tail, where max_prob treats them alike", () => {
    const threshold = effectiveThreshold(learned);
    expect(shouldAskTeacher("auto", studentVerdict(CLOSE_RUNNER_UP, learned).score, threshold)).toBe(true);
    expect(shouldAskTeacher("auto", studentVerdict(FLAT_TAIL, learned).score, threshold)).toBe(false);
    const byMaxProb = manifest("max_prob", 0.5);
    expect(studentVerdict(CLOSE_RUNNER_UP, byMaxProb).score).toBeCloseTo(
      studentVerdict(FLAT_TAIL, byMaxProb).score,
      12,
    );
  });
});

describe("merging the teacher's outcome", () => {
  const labels = ["a", "b", "c"];
  const m = manifest("max_prob", 0.5);
  const student = studentVerdict(UNSURE, m); // "a"
  const answer = (label: string, confidence = 0.9): TeacherAnswer => ({ label, confidence, probs: null });
  const ok = (answers: TeacherAnswer[], cached = answers.map(() => false)): TeacherOutcome => ({
    ok: true,
    answers,
    cached,
    latencyMs: 12,
  });

  it("not asked: the student's answer", () => {
    expect(combine(student, { kind: "not_asked" })).toEqual({
      label: "a",
      confidence: student.confidence,
      source: "student",
      student: { label: "a", confidence: student.confidence },
    });
  });

  it("answered: the teacher's label and confidence, with both sides shown", () => {
    const [slot] = teacherSlots(ok([answer("c", 0.8)]), 1, labels);
    expect(combine(student, slot!)).toEqual({
      label: "c",
      confidence: 0.8,
      source: "teacher",
      student: { label: "a", confidence: student.confidence },
      teacher: { label: "c", confidence: 0.8, latency_ms: 12 },
    });
  });

  it("a cached answer says source cache", () => {
    const slots = teacherSlots(ok([answer("b"), answer("c")], [true, false]), 2, labels);
    expect(slots.map((s) => combine(student, s).source)).toEqual(["cache", "teacher"]);
  });

  it("a failure degrades to the student with the failure kind as reason", () => {
    for (const kind of ["timeout", "http_5xx", "breaker_open", "not_configured"] as const) {
      const slots = teacherSlots({ ok: false, kind, message: "x", latencyMs: 3 }, 2, labels);
      for (const slot of slots) {
        const r = combine(student, slot);
        expect(r).toMatchObject({ label: "a", source: "student", degraded: true, reason: kind });
        expect(r.teacher).toBeUndefined();
      }
    }
  });

  it("a failure keeps the answers the cache still held", () => {
    const outcome: TeacherOutcome = {
      ok: false,
      kind: "timeout",
      message: "deadline",
      latencyMs: 1500,
      cachedAnswers: [answer("b"), null],
    };
    const [first, second] = teacherSlots(outcome, 2, labels).map((s) => combine(student, s));
    expect(first).toMatchObject({ label: "b", source: "cache" });
    expect(first!.degraded).toBeUndefined();
    expect(second).toMatchObject({ label: "a", source: "student", degraded: true, reason: "timeout" });
  });

  it("an outcome that breaks the port's promise degrades instead of corrupting answers", () => {
    expect(teacherSlots(ok([answer("b")]), 2, labels)).toEqual([
      { kind: "failed", reason: "bad_response" },
      { kind: "failed", reason: "bad_response" },
    ]);
    const [slot] = teacherSlots(ok([answer("zebra")]), 1, labels);
    expect(combine(student, slot!)).toMatchObject({ degraded: true, reason: "unknown_label", label: "a" });
  });
});
