import { wilsonInterval } from "../../../core/metrics.ts";
import type { AnswerSource } from "../../answered.ts";
import { SCORE_BINS } from "../../metrics/usage.ts";
import type { StatsRows, StatsWindow } from "./queries.ts";
import { AGREEMENT_LEVEL, type Agreement, type StatsResponse, type Threshold } from "./schema.ts";

/** The answer of GET /admin/stats from the aggregated rows: pure, so every figure is the rows' own. */
export interface StatsContext {
  model: string;
  version: string | null;
  window: StatsWindow;
  threshold: Threshold;
  pricePerCall: number;
}

interface Counts {
  answers: number;
  student: number;
  teacher: number;
  cache: number;
  degraded: number;
}

const ratio = (k: number, n: number): number | null => (n > 0 ? k / n : null);

function tally(rows: readonly { source: AnswerSource; n: number }[]): Counts {
  const counts: Counts = { answers: 0, student: 0, teacher: 0, cache: 0, degraded: 0 };
  for (const { source, n } of rows) {
    counts[source] += n;
    counts.answers += n;
  }
  return counts;
}

function groupBy<T, K extends keyof T>(rows: readonly T[], key: K): Map<T[K], T[]> {
  const groups = new Map<T[K], T[]>();
  for (const row of rows) {
    const group = groups.get(row[key]);
    if (group) group.push(row);
    else groups.set(row[key], [row]);
  }
  return groups;
}

function agreementOf(samples: number, agree: number): Agreement {
  if (samples === 0) return { samples, agree, rate: null, low: null, high: null, level: AGREEMENT_LEVEL };
  const { lo, hi } = wilsonInterval(agree, samples);
  return { samples, agree, rate: agree / samples, low: lo, high: hi, level: AGREEMENT_LEVEL };
}

function versions(rows: StatsRows): StatsResponse["versions"] {
  const usage = groupBy(rows.byVersion, "version");
  const audits = new Map(rows.audits.map((a) => [a.version, a]));
  const names = [...new Set([...usage.keys(), ...audits.keys()])];
  // Numeric-aware, so 1.0.10 comes after 1.0.9.
  names.sort((a, b) => a.localeCompare(b, "en", { numeric: true }));
  return names.map((version) => {
    const counts = tally(usage.get(version) ?? []);
    const audit = audits.get(version);
    return {
      version,
      answers: counts.answers,
      teacher_rate: ratio(counts.teacher, counts.answers),
      agreement: agreementOf(audit?.samples ?? 0, audit?.agree ?? 0),
    };
  });
}

/** Everything but the teacher budget (its own counter) and the feedback figures (feedback.ts reads them). */
export function assembleStats(
  rows: StatsRows,
  ctx: StatsContext,
): Omit<StatsResponse, "budget" | "feedback"> {
  const { window, pricePerCall } = ctx;
  const totals = tally(rows.byHour);
  const perHour = groupBy(rows.byHour, "hour");
  const counts = new Array<number>(SCORE_BINS).fill(0);
  for (const { bin, n } of rows.scores) counts[bin] = n;
  const routes = { teacher: 0, degraded: 0, cache: 0, audit: 0 };
  for (const { route, n } of rows.routes) routes[route] = n;
  const endpoints = { v1: 0, v2: 0 };
  for (const { endpoint, n } of rows.byEndpoint) endpoints[endpoint] = n;
  const sum = (key: "samples" | "agree") => rows.audits.reduce((s, a) => s + a[key], 0);
  return {
    model: ctx.model,
    version: ctx.version,
    since: window.since,
    until: window.until,
    hours: window.hours.length,
    threshold: ctx.threshold,
    teacher_price_per_call: pricePerCall,
    totals: {
      ...totals,
      teacher_rate: ratio(totals.teacher, totals.answers),
      escalation_rate: ratio(totals.teacher + totals.cache + totals.degraded, totals.answers),
      money_saved: totals.student * pricePerCall,
      money_spent: totals.teacher * pricePerCall,
    },
    hourly: window.hours.map((hour) => {
      const c = tally(perHour.get(hour) ?? []);
      return { hour, ...c, teacher_rate: ratio(c.teacher, c.answers) };
    }),
    score_histogram: { bins: SCORE_BINS, counts },
    agreement: agreementOf(sum("samples"), sum("agree")),
    confusions: rows.confusions,
    routes,
    endpoints,
    versions: versions(rows),
  };
}
