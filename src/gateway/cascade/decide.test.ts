import { describe, expect, it } from "vitest";
import type { RoutingSpec } from "../../core/manifest.ts";
import { calibratedProbs, effectiveThreshold, shouldAskTeacher, studentVerdict } from "./decide.ts";

/**
 * The routing decision as pure functions, in Node (the mutation run's project; cascade.workerd.test.ts
 * covers the same decision end to end through the Worker).
 */
const routing = (score: "max_prob" | "margin", threshold: number): RoutingSpec => ({
  score,
  threshold,
  target: { kind: "teacher_rate", value: 0.2 },
  validation: { teacher_rate: 0.2, accuracy: 0.9, retention: 0.95 },
});

const manifest = (temperature: number, score: "max_prob" | "margin" = "max_prob") => ({
  labels: ["ham", "spam", "other"],
  calibration: { method: "temperature" as const, temperature, fittedOn: "val" },
  routing: routing(score, 0.7),
});

describe("calibratedProbs", () => {
  it("is softmax(logits / T) and sums to one", () => {
    const probs = calibratedProbs([2, 0], 2);
    const e = Math.exp(1);
    expect(probs[0]).toBeCloseTo(e / (e + 1), 12);
    expect(probs[1]).toBeCloseTo(1 / (e + 1), 12);
  });

  it("flattens as T grows and sharpens as T shrinks", () => {
    const warm = calibratedProbs([2, 0], 4)[0]!;
    const cold = calibratedProbs([2, 0], 0.5)[0]!;
    expect(warm).toBeLessThan(calibratedProbs([2, 0], 1)[0]!);
    expect(cold).toBeGreaterThan(calibratedProbs([2, 0], 1)[0]!);
  });
});

describe("studentVerdict", () => {
  it("names the argmax label with its calibrated probability and the manifest's score", () => {
    const verdict = studentVerdict([0, 3, 1], manifest(1));
    const probs = calibratedProbs([0, 3, 1], 1);
    expect(verdict.labelIndex).toBe(1);
    expect(verdict.label).toBe("spam");
    expect(verdict.confidence).toBe(probs[1]);
    expect(verdict.score).toBe(probs[1]);
    expect([...verdict.probs]).toEqual([...probs]);
  });

  it("scores with the rule the manifest names (margin: top minus runner-up)", () => {
    const verdict = studentVerdict([0, 3, 1], manifest(2, "margin"));
    const probs = calibratedProbs([0, 3, 1], 2);
    expect(verdict.score).toBeCloseTo(probs[1]! - probs[2]!, 12);
    expect(verdict.confidence).toBe(probs[1]);
  });
});

describe("effectiveThreshold", () => {
  it("takes the request's override, even 0, over the shipped threshold", () => {
    const m = { routing: routing("max_prob", 0.7) };
    expect(effectiveThreshold(m, 0.4)).toBe(0.4);
    expect(effectiveThreshold(m, 0)).toBe(0);
    expect(effectiveThreshold(m)).toBe(0.7);
  });
});

describe("shouldAskTeacher", () => {
  it("in auto asks below the threshold only: an equal score is confident enough", () => {
    expect(shouldAskTeacher("auto", 0.69, 0.7)).toBe(true);
    expect(shouldAskTeacher("auto", 0.7, 0.7)).toBe(false);
    expect(shouldAskTeacher("auto", 0.71, 0.7)).toBe(false);
  });

  it("never asks in never and always asks in always, whatever the score", () => {
    for (const score of [0, 0.5, 1]) {
      expect(shouldAskTeacher("never", score, 0.7)).toBe(false);
      expect(shouldAskTeacher("always", score, 0.7)).toBe(true);
    }
  });
});
