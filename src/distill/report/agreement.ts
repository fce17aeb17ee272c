import type { Estimate } from "../../core/metrics.ts";
import type { RoutingFit } from "../calibrate/agreement-fit.ts";
import type { EqualRateVerdict } from "../gateway-client/equal-rate-gate.ts";
import { pct, threshold } from "./format.ts";
import { mdCode, mdTable } from "./md.ts";

/**
 * The figures of a student fitted on a remote teacher's logged answers, as markdown: the routing fit's
 * per-kind table (CLI log, report.md) and the equal-rate gate's comparison (CLI log). Tables are GFM,
 * readable as plain text in a terminal too.
 */

const withInterval = (e: Estimate) => `${pct(e.value, 2)} [${pct(e.lo, 2)}, ${pct(e.hi, 2)}]`;

function goalText(fit: RoutingFit): string {
  const { keepAgreement, maxTeacherRate } = fit.goal;
  const parts = [
    ...(keepAgreement !== undefined ? [`keep ≥ ${pct(keepAgreement)} of the teacher's answers`] : []),
    ...(maxTeacherRate !== undefined ? [`send ≤ ${pct(maxTeacherRate)} to the teacher`] : []),
  ];
  return parts.join(", ");
}

/** One row per score kind: threshold, agreement and teacher rate with their 95% intervals. */
export function routingFitTable(fit: RoutingFit): string {
  const rows = fit.rows.map((row) => [
    row === fit.best ? `**${mdCode(row.score)}** (shipped)` : mdCode(row.score),
    threshold(row.threshold),
    withInterval(row.agreement),
    withInterval(row.teacherRate),
    row.met ? "yes" : "no",
  ]);
  return mdTable(["Score", "Threshold", "Agreement [95% CI]", "Teacher rate [95% CI]", "Goal met"], rows, [
    "left",
    "right",
    "right",
    "right",
    "left",
  ]);
}

/** report.md's section on the routing fit. */
export function routingFitSection(fit: RoutingFit): string {
  return [
    "## Routing fitted to the teacher's answers",
    "",
    `Goal: ${goalText(fit)}. Fitted on the held-out slice of logged records (${fit.n} records, effective ` +
      `${fit.effectiveN.toFixed(0)} after weighting each by 1 / P(logged)); agreement counts an escalated ` +
      "answer as agreeing, since the teacher gives it. Intervals are 95% Wilson on the effective number. " +
      `${fit.summary}.`,
    "",
    routingFitTable(fit),
    "",
  ].join("\n");
}

/** manifest.training.routingFit: the table in a few numbers, rounded to 4 decimals. */
export function compactRoutingFit(fit: RoutingFit) {
  const r = (x: number) => Math.round(x * 1e4) / 1e4;
  const triple = (e: Estimate) => [r(e.value), r(e.lo), r(e.hi)];
  return {
    goal: fit.goal,
    n: fit.n,
    effectiveN: r(fit.effectiveN),
    shipped: fit.best?.score ?? null,
    met: fit.met,
    /** Per kind: threshold, agreement and teacher rate as [value, lo, hi] (95% Wilson–Kish). */
    rows: fit.rows.map((row) => ({
      score: row.score,
      threshold: row.threshold,
      agreement: triple(row.agreement),
      teacherRate: triple(row.teacherRate),
      met: row.met,
    })),
  };
}

/** The equal-rate gate's comparison: at the new student's rate, then the grid. */
export function equalRateTable(
  verdict: EqualRateVerdict,
  versions: { candidate: string; live: string },
): string {
  const comparisons = [...(verdict.atRate ? [verdict.atRate] : []), ...verdict.grid];
  const rows = comparisons.map((c, i) => [
    i === 0 ? `**${pct(c.rate, 1)}** (new's rate)` : pct(c.rate, 1),
    pct(c.candidate.agreement, 2),
    pct(c.live.agreement, 2),
    withInterval(c.difference),
  ]);
  return mdTable(
    [
      "Teacher rate",
      `Agreement, new ${versions.candidate}`,
      `Agreement, live ${versions.live}`,
      "Difference [95% CI]",
    ],
    rows,
    ["right", "right", "right", "right"],
  );
}
