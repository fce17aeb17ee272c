import { z } from "zod";
import { deferralConfidence, type LearnedDeferral } from "./deferral.ts";
import { confidenceScore, ScoreKind } from "./scores.ts";

/** What a routing rule may score on: a score kind of core/scores.ts, or a learned deferral. */
export const RoutingScoreKind = z.enum([...ScoreKind.options, "learned"]);
export type RoutingScoreKind = z.infer<typeof RoutingScoreKind>;

/** The part of a manifest's routing rule that turns probabilities into a score. */
export type RoutingScoreRule = { score: ScoreKind } | { score: "learned"; deferral: LearnedDeferral };

/** The rule's confidence score of calibrated probabilities; higher is surer, below the threshold → teacher. */
export function routingScore(rule: RoutingScoreRule, probs: ArrayLike<number>): number {
  return rule.score === "learned"
    ? deferralConfidence(rule.deferral, probs)
    : confidenceScore(rule.score, probs);
}
