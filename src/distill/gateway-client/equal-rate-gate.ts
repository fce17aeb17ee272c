import { type Estimate, effectiveSampleSize } from "../../core/metrics.ts";
import type { RoutingScoreRule } from "../../core/routing-score.ts";
import { outcomesAtRate } from "../calibrate/equal-rate.ts";
import { checkAligned, scoresOf, studentAgrees } from "../calibrate/logged-outputs.ts";
import { DEFAULT_GATE_TOLERANCE, type GateOptions, type GateVerdict } from "./gate.ts";

/**
 * The evaluation gate at equal teacher rate: the live student and the candidate both run on the same
 * held-out logged records, each routed by its own rule with its threshold moved to reach the same
 * weighted teacher rate, and their agreement with the teacher is compared there. A candidate cannot buy
 * agreement with more teacher calls, nor lose it to a threshold chosen on a different slice.
 *
 * The decision is taken at the candidate's own rate (the rate it will ship at):
 *   d_i = a_i^cand(r) − a_i^live(r)                (equal-rate outcomes, calibrate/equal-rate.ts)
 *   d̄ = Σ w_i d_i / Σ w_i,   SE² = Σ w_i² (d_i − d̄)² / (Σ w_i)²     (linearised variance of a weighted mean)
 *   95% interval: d̄ ± 1.96 SE;   pass ⇔ d̄ ≥ −tolerance
 * The point estimate decides, as the shipped-figures gate does; the paired interval is reported so a
 * reader sees whether a difference is more than the slice's noise. A grid of rates is reported too.
 */
export interface GateStudent {
  version: string;
  /** How the student routes: its manifest's score kind, or its learned deferral. */
  rule: RoutingScoreRule;
  /** Its calibrated probabilities on the held-out records, one [C] vector per record. */
  probs: readonly (Float32Array | Float64Array)[];
  /**
   * Whether each answer is the teacher's, when the argmax of `probs` is not in the teacher labels'
   * order: a live student with another label set, compared by label name.
   */
  agrees?: Uint8Array;
}

export interface EqualRateInputs {
  candidate: GateStudent;
  /** The live student; null when nothing is live yet (nothing to defend). */
  live: GateStudent | null;
  /** Per held-out record: the teacher's label index and the inverse-probability weight. */
  teacherLabel: Int32Array;
  weight: Float64Array;
  /** The weighted teacher rate the candidate ships at (its routing fit's rate on this slice). */
  rate: number;
  /** Further rates to report, not to decide on. */
  grid?: readonly number[];
}

export interface RateComparison {
  rate: number;
  candidate: { agreement: number; threshold: number };
  live: { agreement: number; threshold: number };
  /** Candidate minus live agreement, paired over the same records, with its 95% interval. */
  difference: Estimate;
}

export interface EqualRateVerdict extends GateVerdict {
  n: number;
  effectiveN: number;
  /** The comparison at the candidate's rate; null when there is no live student. */
  atRate: RateComparison | null;
  grid: RateComparison[];
}

export const DEFAULT_RATE_GRID: readonly number[] = [0.05, 0.1, 0.2, 0.3, 0.5];

export const EQUAL_RATE_GATE_RULE = `Evaluation gate at equal teacher rate: the live student and the new one run on the same held-out
logged records (weighted by 1 / P(logged)); each one's threshold is set so that it sends the same share of
traffic to the teacher as the new one will, and their agreement with the teacher's answers is compared.
The new student passes if its agreement is lower by at most --gate-tolerance (default
${DEFAULT_GATE_TOLERANCE}); the 95% interval of the paired difference is reported. With no live student
it passes. A refusal exits with code 3 and uploads nothing; --force publishes anyway.`;

const pct = (x: number) => `${(100 * x).toFixed(2)}%`;

export function equalRateGate(inputs: EqualRateInputs, options: GateOptions): EqualRateVerdict {
  const { candidate, live, teacherLabel, weight } = inputs;
  const n = checkAligned({ probs: candidate.probs, teacherLabel, weight }, "equalRateGate (candidate)");
  const effectiveN = effectiveSampleSize(weight);
  if (live === null)
    return {
      pass: true,
      forced: false,
      reason: "no live student to compare with",
      n,
      effectiveN,
      atRate: null,
      grid: [],
    };
  checkAligned({ probs: live.probs, teacherLabel, weight }, "equalRateGate (live)");
  if (n === 0)
    return refuse(options, "no held-out records to compare the students on", {
      n,
      effectiveN,
      atRate: null,
      grid: [],
    });

  const compare = comparer(candidate, live, teacherLabel, weight);
  const atRate = compare(inputs.rate);
  const grid = (inputs.grid ?? DEFAULT_RATE_GRID).map(compare);
  const d = atRate.difference;
  const figures = `at teacher rate ${pct(atRate.rate)}: new ${candidate.version} agrees ${pct(atRate.candidate.agreement)}, live ${live.version} ${pct(atRate.live.agreement)}; difference ${pct(d.value)} [${pct(d.lo)}, ${pct(d.hi)}] (95%, paired, n=${n}, n_eff=${effectiveN.toFixed(0)})`;
  const report = { n, effectiveN, atRate, grid };
  if (d.value >= -options.tolerance) {
    const how =
      d.value > 0 ? "agrees more with the teacher" : `agrees at most ${pct(options.tolerance)} less`;
    return { pass: true, forced: false, reason: `new ${how} ${figures}`, ...report };
  }
  return refuse(
    options,
    `new agrees less with the teacher, beyond the ${pct(options.tolerance)} tolerance, ${figures}`,
    report,
  );
}

function refuse(
  options: GateOptions,
  reason: string,
  report: Omit<EqualRateVerdict, keyof GateVerdict>,
): EqualRateVerdict {
  if (options.force)
    return { pass: true, forced: true, reason: `${reason} (overridden by --force)`, ...report };
  return { pass: false, forced: false, reason, ...report };
}

/** Scores both students once; returns the comparison at any rate. */
function comparer(
  candidate: GateStudent,
  live: GateStudent,
  teacherLabel: Int32Array,
  weight: Float64Array,
): (rate: number) => RateComparison {
  const side = (s: GateStudent) => {
    const outputs = { probs: s.probs, teacherLabel, weight };
    return {
      scores: scoresOf(outputs, s.rule),
      agrees: s.agrees ?? studentAgrees(outputs),
      outcome: new Float64Array(weight.length),
    };
  };
  const c = side(candidate);
  const l = side(live);
  return (rate) => {
    const cand = outcomesAtRate(c.scores, c.agrees, weight, rate, c.outcome);
    const liveAt = outcomesAtRate(l.scores, l.agrees, weight, rate, l.outcome);
    return {
      rate,
      candidate: cand,
      live: liveAt,
      difference: pairedDifference(c.outcome, l.outcome, weight),
    };
  };
}

/** d̄ and its 95% interval for d_i = a_i − b_i, weighted (see the module header). */
export function pairedDifference(a: Float64Array, b: Float64Array, weight: Float64Array, z = 1.96): Estimate {
  let total = 0;
  let sum = 0;
  for (let i = 0; i < weight.length; i++) {
    total += weight[i]!;
    sum += weight[i]! * (a[i]! - b[i]!);
  }
  const mean = total > 0 ? sum / total : 0;
  let variance = 0;
  for (let i = 0; i < weight.length; i++) variance += (weight[i]! * (a[i]! - b[i]! - mean)) ** 2;
  const se = total > 0 ? Math.sqrt(variance) / total : 0;
  return { value: mean, lo: mean - z * se, hi: mean + z * se };
}
