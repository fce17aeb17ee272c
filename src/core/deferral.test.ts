import { describe, expect, it } from "vitest";
import {
  DEFERRAL_FEATURE_COUNT,
  DEFERRAL_FEATURES,
  deferralConfidence,
  deferralFeatures,
  disagreementLogit,
  LearnedDeferral,
  sigmoid,
} from "./deferral.ts";
import { RoutingSpec } from "./manifest.ts";
import { RoutingScoreKind, routingScore } from "./routing-score.ts";
import { confidenceScore, margin, maxProb, negEntropy, SCORE_KINDS } from "./scores.ts";

const model = (weights: number[], bias = 0): LearnedDeferral => ({ features: 1, weights, bias });

describe("deferral features (version 1)", () => {
  it("are max-prob, margin, entropy, the logs of the top two and the count of plausible classes", () => {
    expect(DEFERRAL_FEATURES).toEqual([
      "max_prob",
      "margin",
      "entropy",
      "log_top1",
      "log_top2",
      "classes_above_5pct",
    ]);
    const p = [0.1, 0.6, 0.04, 0.26];
    const x = deferralFeatures(p, new Float64Array(DEFERRAL_FEATURE_COUNT));
    expect(x[0]).toBe(maxProb(p));
    expect(x[1]).toBe(margin(p));
    expect(x[2]).toBe(negEntropy(p));
    expect(x[3]).toBeCloseTo(Math.log(0.6), 12);
    expect(x[4]).toBeCloseTo(Math.log(0.26), 12);
    expect(x[5]).toBe(3);
  });

  it("stay finite for a one-hot answer (a runner-up of probability 0)", () => {
    const x = deferralFeatures([0, 1, 0], new Float64Array(DEFERRAL_FEATURE_COUNT));
    expect(Array.from(x).every(Number.isFinite)).toBe(true);
    expect(x[4]).toBeCloseTo(Math.log(1e-6), 12);
    expect(x[5]).toBe(1);
  });
});

describe("learned deferral score", () => {
  it("is 1 − σ(θ·φ(p) + b): the probability that the student agrees with the teacher", () => {
    const p = [0.7, 0.2, 0.1];
    const x = deferralFeatures(p, new Float64Array(DEFERRAL_FEATURE_COUNT));
    const m = model([-2, -1, 0.5, 0.3, 0.2, 0.1], 1.5);
    const z = 1.5 + m.weights.reduce((s, w, j) => s + w * x[j]!, 0);
    expect(disagreementLogit(m, p)).toBeCloseTo(z, 12);
    expect(deferralConfidence(m, p)).toBeCloseTo(1 / (1 + Math.exp(z)), 12);
    // A model that learned "sharper is surer" ranks like max-prob.
    const sharp = model([-8, 0, 0, 0, 0, 0], 4);
    expect(deferralConfidence(sharp, [0.9, 0.05, 0.05])).toBeGreaterThan(deferralConfidence(sharp, p));
  });

  it("has a sigmoid that neither overflows nor loses its tails", () => {
    expect(sigmoid(0)).toBe(0.5);
    expect(sigmoid(800)).toBe(1);
    expect(sigmoid(-800)).toBe(0);
    expect(sigmoid(-30)).toBeGreaterThan(0);
    expect(sigmoid(3) + sigmoid(-3)).toBeCloseTo(1, 15);
  });

  it("validates the shipped model: feature version and one weight per feature", () => {
    expect(LearnedDeferral.safeParse(model([0, 0, 0, 0, 0, 0])).success).toBe(true);
    expect(LearnedDeferral.safeParse(model([0, 0, 0])).success).toBe(false);
    expect(LearnedDeferral.safeParse({ ...model([0, 0, 0, 0, 0, 0]), features: 2 }).success).toBe(false);
    expect(LearnedDeferral.safeParse({ weights: [0, 0, 0, 0, 0, 0], bias: 0 }).success).toBe(false);
  });
});

describe("routing rule", () => {
  const fields = {
    threshold: 0.5,
    target: { kind: "retention", value: 0.99 },
    validation: { teacher_rate: 0.2, accuracy: 0.9, retention: 0.99 },
  } as const;
  const deferral = model([-3, -1, 0, 0, 0, 0.2], 2);

  it("scores with the manifest's kind, a learned deferral with its own weights", () => {
    const p = [0.5, 0.3, 0.2];
    for (const score of SCORE_KINDS) expect(routingScore({ score }, p)).toBe(confidenceScore(score, p));
    expect(routingScore({ score: "learned", deferral }, p)).toBe(deferralConfidence(deferral, p));
    expect(RoutingScoreKind.options).toEqual([...SCORE_KINDS, "learned"]);
  });

  it("accepts old manifests' rules unchanged and a learned rule only with its model", () => {
    for (const score of SCORE_KINDS)
      expect(RoutingSpec.parse({ score, ...fields })).toEqual({ score, ...fields });
    const learned = { score: "learned", deferral, ...fields };
    expect(RoutingSpec.parse(learned)).toEqual(learned);
    expect(RoutingSpec.safeParse({ score: "learned", ...fields }).success).toBe(false);
    expect(RoutingSpec.safeParse({ score: "max_prob", deferral, ...fields }).success).toBe(false);
    expect(
      RoutingSpec.safeParse({ score: "learned", deferral: { ...deferral, weights: [1] }, ...fields }).success,
    ).toBe(false);
  });
});
