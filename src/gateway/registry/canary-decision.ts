import { z } from "zod";
import type { Comparison } from "../../core/sequential-test.ts";
import { Version } from "./keys.ts";

/**
 * How a canary is decided without anyone watching (docs/admin-api.md "Automatic canary decisions"):
 * promoted when its accuracy against feedback (once both versions have `min_feedback` of it), else its
 * agreement with the teacher, is better than the live version's at confidence 1 − α, rolled back when it
 * is worse, and, when neither is shown within the time limit, given `on_time_limit` (rollback by default:
 * a version that could not show it is better does not replace one that works).
 */
export const CanaryPolicy = z
  .strictObject({
    alpha: z.number().min(0.001).max(0.2).default(0.05).meta({
      description: "Error rate of the sequential test over the canary's whole run (anytime-valid)",
    }),
    time_limit_hours: z
      .number()
      .positive()
      .max(24 * 90)
      .default(72)
      .meta({
        description: "Hours after which an undecided canary gets on_time_limit",
      }),
    on_time_limit: z.enum(["rollback", "promote"]).default("rollback"),
    min_feedback: z.number().int().min(1).max(1_000_000).default(100).meta({
      description:
        "Feedback records on each version's student answers (canary and live) from which feedback, not agreement with the teacher, decides",
    }),
  })
  .meta({ id: "CanaryPolicy" });
export type CanaryPolicy = z.infer<typeof CanaryPolicy>;

const RateFigures = z.strictObject({
  version: z.string(),
  agree: z.number().int(),
  total: z.number().int(),
  rate: z.number().nullable(),
  lower: z.number(),
  upper: z.number(),
});

/** What a decision was taken on: agreement with the teacher, or accuracy against client feedback. */
export const DecisionEvidence = z.enum(["teacher", "feedback"]);
export type DecisionEvidence = z.infer<typeof DecisionEvidence>;

/** One automatic decision with the figures it was taken on; kept in the pointer's history. */
export const CanaryDecision = z
  .strictObject({
    at: z.iso.datetime(),
    action: z.enum(["promote", "rollback"]),
    reason: z.enum(["better", "worse", "time_limit"]).meta({
      description: "better/worse: the sequential test decided; time_limit: it had not by then",
    }),
    canary: Version,
    live: Version,
    alpha: z.number(),
    // Decisions stored before feedback counted were all taken on the teacher.
    evidence: DecisionEvidence.default("teacher").meta({
      description:
        "What the figures count: teacher (agree = student agreed with the teacher) or feedback (agree = student gave the feedback's label)",
    }),
    /** Counted from this hour (UTC) on: the canary's start. */
    since: z.iso.datetime(),
    figures: z.strictObject({
      canary: RateFigures,
      live: RateFigures,
      difference: z.strictObject({ lower: z.number(), upper: z.number() }),
    }),
  })
  .meta({ id: "CanaryDecision" });
export type CanaryDecision = z.infer<typeof CanaryDecision>;

/** The history a pointer keeps; older decisions are in the Worker's log only. */
export const MAX_DECISIONS = 50;

export interface CanaryRun {
  canary: string;
  live: string;
  policy: CanaryPolicy;
  startedAt: Date;
}

/** The decision the evidence calls for now, or null to keep the canary running. */
export function decideCanary(
  run: CanaryRun,
  comparison: Comparison,
  now: Date,
  evidence: DecisionEvidence = "teacher",
): CanaryDecision | null {
  const overdue = now.getTime() - run.startedAt.getTime() >= run.policy.time_limit_hours * 3_600_000;
  let action: CanaryDecision["action"];
  let reason: CanaryDecision["reason"];
  if (comparison.verdict === "better") [action, reason] = ["promote", "better"];
  else if (comparison.verdict === "worse") [action, reason] = ["rollback", "worse"];
  else if (overdue) [action, reason] = [run.policy.on_time_limit, "time_limit"];
  else return null;
  const figures = (version: string, side: Comparison["canary"]) => ({ version, ...side });
  return {
    at: now.toISOString(),
    action,
    reason,
    canary: run.canary,
    live: run.live,
    alpha: comparison.alpha,
    evidence,
    since: run.startedAt.toISOString(),
    figures: {
      canary: figures(run.canary, comparison.canary),
      live: figures(run.live, comparison.live),
      difference: comparison.difference,
    },
  };
}
