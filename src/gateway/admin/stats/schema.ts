import { z } from "zod";
import { RoutingScoreKind } from "../../../core/routing-score.ts";
import { BudgetStats } from "../../budget/stats.ts";
import { SCORE_BINS } from "../../metrics/usage.ts";

/**
 * The answer of GET /admin/stats: a contract the dashboard codes against. Counts come from D1: answers
 * from usage_counts/usage_scores (migrations/0002_usage.sql), hard examples from hard_examples
 * (migrations/0001_hard_examples.sql, rebuilt by 0003_hard_examples_no_student.sql).
 */

/** Confidence of the Wilson interval: wilsonInterval's default z = 1.96 (src/core/metrics.ts). */
export const AGREEMENT_LEVEL = 0.95;

const Count = z.number().int().nonnegative();
const Rate = z.number().min(0).max(1);
const Usd = z.number().nonnegative();

const sourceCounts = {
  answers: Count.meta({ description: "Answers (one per text)" }),
  student: Count.meta({ description: "Answered by the confident student" }),
  teacher: Count.meta({ description: "Answered by the teacher" }),
  cache: Count.meta({ description: "Answered from the teacher's cache" }),
  degraded: Count.meta({ description: "The student's answer because the teacher failed" }),
};
const teacherRate = Rate.nullable().meta({ description: "teacher / answers; null without answers" });

export const Agreement = z
  .strictObject({
    samples: Count.meta({ description: "Audit samples the teacher answered" }),
    agree: Count.meta({ description: "Samples where the student's label was the teacher's" }),
    rate: Rate.nullable().meta({ description: "agree / samples: the live accuracy estimate" }),
    low: Rate.nullable().meta({ description: "Lower bound of the Wilson score interval" }),
    high: Rate.nullable().meta({ description: "Upper bound of the Wilson score interval" }),
    level: z.literal(AGREEMENT_LEVEL),
  })
  .meta({ description: "The student's agreement with the teacher on the audit sample (route audit)" });
export type Agreement = z.infer<typeof Agreement>;

/** Feedback (POST /v1/feedback): admin/stats/feedback.ts reads these figures. */
export const Accuracy = z
  .strictObject({
    samples: Count.meta({ description: "Feedback records where this model's label is known" }),
    correct: Count.meta({ description: "Of those, where its label was the feedback's" }),
    rate: Rate.nullable().meta({ description: "correct / samples; null without samples" }),
    low: Rate.nullable().meta({ description: "Lower bound of the Wilson score interval" }),
    high: Rate.nullable().meta({ description: "Upper bound of the Wilson score interval" }),
    level: z.literal(AGREEMENT_LEVEL),
  })
  .meta({ description: "Accuracy against feedback labels" });
export type Accuracy = z.infer<typeof Accuracy>;

export const FeedbackStats = z
  .strictObject({
    samples: Count.meta({ description: "Feedback records received in the window (the newest per answer)" }),
    student: Accuracy,
    teacher: Accuracy,
    teacher_errors: z
      .array(
        z.strictObject({
          label: z.string().meta({ description: "The true label (feedback)" }),
          samples: Count.meta({ description: "Feedback with this label where the teacher's label is known" }),
          wrong: Count.meta({ description: "Of those, where the teacher said another label" }),
          rate: Rate,
        }),
      )
      .meta({
        description: "The labels the teacher gets wrong most often, most wrong answers first (at most top)",
      }),
  })
  .meta({ description: "Live accuracy of the student and the teacher against client feedback" });
export type FeedbackStats = z.infer<typeof FeedbackStats>;

const HourStats = z.strictObject({
  hour: z
    .string()
    .regex(/^\d{4}-\d{2}-\d{2}T\d{2}$/)
    .meta({ description: "UTC hour, e.g. 2026-11-29T11" }),
  ...sourceCounts,
  teacher_rate: teacherRate,
});

export const Threshold = z
  .strictObject({ score: RoutingScoreKind, value: z.number(), version: z.string() })
  .nullable()
  .meta({
    description:
      "The routing rule of the chosen version, else of the live one; null when the model has no live version",
  });
export type Threshold = z.infer<typeof Threshold>;

export const StatsResponse = z
  .strictObject({
    model: z.string(),
    version: z
      .string()
      .nullable()
      .meta({ description: "The version the figures are restricted to, or null" }),
    since: z.iso.datetime().meta({ description: "Start of the window's first hour" }),
    until: z.iso.datetime().meta({ description: "End of the window (now, unless asked otherwise)" }),
    hours: z.number().int().min(1),
    threshold: Threshold,
    teacher_price_per_call: Usd.meta({
      description:
        "USD per call of the model's teacher: its definition's pricePerCall, else TEACHER_PRICE_PER_CALL",
    }),
    totals: z.strictObject({
      ...sourceCounts,
      teacher_rate: teacherRate,
      escalation_rate: Rate.nullable().meta({
        description: "(teacher + cache + degraded) / answers: the share the student was unsure of",
      }),
      money_saved: Usd.meta({ description: "student × teacher_price_per_call" }),
      money_spent: Usd.meta({ description: "teacher × teacher_price_per_call" }),
    }),
    hourly: z
      .array(HourStats)
      .meta({ description: "Every hour of the window, oldest first; zeros when idle" }),
    score_histogram: z.strictObject({
      bins: z.literal(SCORE_BINS),
      counts: z
        .array(Count)
        .length(SCORE_BINS)
        // Stated for the document too: zod-to-openapi does not carry .length() over.
        .meta({ description: "Answers per equal bin of [0, 1]", minItems: SCORE_BINS, maxItems: SCORE_BINS }),
    }),
    agreement: Agreement,
    confusions: z.array(z.strictObject({ student: z.string(), teacher: z.string(), count: Count })).meta({
      description: "Most frequent (student label, teacher label) disagreements in the hard examples",
    }),
    routes: z
      .strictObject({ teacher: Count, degraded: Count, cache: Count, audit: Count })
      .meta({ description: "Hard examples logged in the window, by route" }),
    endpoints: z.strictObject({ v1: Count, v2: Count }).meta({ description: "Answers per API" }),
    versions: z.array(
      z.strictObject({
        version: z.string(),
        answers: Count,
        teacher_rate: teacherRate,
        agreement: Agreement,
      }),
    ),
    budget: BudgetStats,
    feedback: FeedbackStats,
  })
  .meta({ id: "StatsResponse" });
export type StatsResponse = z.infer<typeof StatsResponse>;
