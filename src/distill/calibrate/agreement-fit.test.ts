import { describe, expect, it } from "vitest";
import { weightedProportion } from "../../core/metrics.ts";
import { mulberry32 } from "../../core/random.ts";
import { type RoutingScoreRule, routingScore } from "../../core/routing-score.ts";
import { SCORE_KINDS } from "../../core/scores.ts";
import { fitRoutingToTeacher, pickPoint, RoutingGoal } from "./agreement-fit.ts";
import { trainDeferral } from "./deferral.ts";
import type { LoggedOutputs } from "./logged-outputs.ts";
import { calibratedRecords, outputsOf, type SyntheticRecord } from "./testing.ts";

/** What routing by `score < threshold → teacher` really gives, weighted, by brute force. */
function route(outputs: LoggedOutputs, rule: RoutingScoreRule, threshold: number) {
  let total = 0;
  let escalated = 0;
  let agreeing = 0;
  outputs.probs.forEach((p, i) => {
    const w = outputs.weight[i]!;
    const toTeacher = routingScore(rule, p) < threshold;
    const studentAgrees = p.indexOf(Math.max(...p)) === outputs.teacherLabel[i];
    total += w;
    if (toTeacher) escalated += w;
    if (toTeacher || studentAgrees) agreeing += w;
  });
  return { teacherRate: escalated / total, agreement: agreeing / total };
}

/** Every threshold worth trying for a rule: each distinct score, and one above them all. */
function thresholds(outputs: LoggedOutputs, rule: RoutingScoreRule): number[] {
  return [...new Set(outputs.probs.map((p) => routingScore(rule, p))), Number.POSITIVE_INFINITY];
}

describe("fitRoutingToTeacher", () => {
  const slice = outputsOf(calibratedRecords(400, 7, (top) => (top > 0.8 ? 10 : 1)));

  it("keeps ≥ Q of the teacher's answers at the lowest teacher rate each kind allows, figures true", () => {
    const fit = fitRoutingToTeacher(slice, { keepAgreement: 0.95 });
    expect(fit.rows.map((r) => r.score)).toEqual(SCORE_KINDS);
    expect(fit.met).toBe(true);
    expect(fit.interval).toBe("wilson-kish-95");
    for (const row of fit.rows) {
      const rule = { score: row.score } as RoutingScoreRule;
      const real = route(slice, rule, row.threshold);
      expect(real.teacherRate).toBeCloseTo(row.teacherRate.value, 12);
      expect(real.agreement).toBeCloseTo(row.agreement.value, 12);
      expect(row.agreement.value).toBeGreaterThanOrEqual(0.95);
      expect(row.agreement.lo).toBeLessThan(row.agreement.value);
      expect(row.agreement.hi).toBeGreaterThan(row.agreement.value);
      for (const t of thresholds(slice, rule)) {
        const r = route(slice, rule, t);
        if (r.agreement >= 0.95) expect(r.teacherRate).toBeGreaterThanOrEqual(row.teacherRate.value - 1e-12);
      }
    }
    // The shipped kind is the cheapest row, and the rule is that row's.
    const cheapest = Math.min(...fit.rows.map((r) => r.teacherRate.value));
    expect(fit.best!.teacherRate.value).toBe(cheapest);
    expect(fit.rule).toEqual({ score: fit.best!.score, threshold: fit.best!.threshold });
    expect(fit.summary).toMatch(/^goal met by /);
    expect(fit.summary).toMatch(
      /^goal met by (max_prob|margin|entropy) at threshold [\d.]+: agreement \d+\.\d% \[\d+\.\d%, \d+\.\d%\] at teacher rate \d+\.\d%$/,
    );
  });

  it("sends ≤ R to the teacher at the highest agreement each kind allows", () => {
    const fit = fitRoutingToTeacher(slice, { maxTeacherRate: 0.2 });
    for (const row of fit.rows) {
      const rule = { score: row.score } as RoutingScoreRule;
      expect(row.teacherRate.value).toBeLessThanOrEqual(0.2);
      for (const t of thresholds(slice, rule)) {
        const r = route(slice, rule, t);
        if (r.teacherRate <= 0.2) expect(r.agreement).toBeLessThanOrEqual(row.agreement.value + 1e-12);
      }
    }
    expect(fit.best!.agreement.value).toBe(Math.max(...fit.rows.map((r) => r.agreement.value)));
  });

  it("meets a target exactly on the line: agreement = Q and teacher rate = R count as met", () => {
    // Ten records: the two least sure disagree, the other eight agree.
    const records: SyntheticRecord[] = Array.from({ length: 10 }, (_, i) => ({
      top: 0.3 + 0.06 * i,
      runnerUp: 0.1,
      agrees: i >= 2,
      weight: 1,
    }));
    const ten = outputsOf(records);
    const byQ = fitRoutingToTeacher(ten, { keepAgreement: 0.9 });
    const byR = fitRoutingToTeacher(ten, { maxTeacherRate: 0.1 });
    for (const fit of [byQ, byR]) {
      const row = fit.rows.find((r) => r.score === "max_prob")!;
      expect(row.met).toBe(true);
      expect(row.teacherRate.value).toBeCloseTo(0.1, 12);
      expect(row.agreement.value).toBeCloseTo(0.9, 12);
    }
    // With unit weights the interval is the plain Wilson interval on 10 records.
    expect(byQ.effectiveN).toBeCloseTo(10, 12);
  });

  it("ships a row that meets the goal before one that does not, and the cheaper of two that meet it", () => {
    // Ten records: the two least sure (0 and 1) disagree. max_prob meets Q = 0.9 by escalating record 0.
    const ten = outputsOf(
      Array.from({ length: 10 }, (_, i) => ({
        top: 0.3 + 0.06 * i,
        runnerUp: 0.1,
        agrees: i >= 2,
        weight: 1,
      })),
    );
    const deferral = trainDeferral(ten)!;
    // The surest two disagree instead: within R = 0.2 no confidence score reaches Q (their best is rate 0,
    // agreement 0.8), while learned scores that put those two lowest meet it at rate 0.2, dearer.
    const surestWrong = outputsOf(
      Array.from({ length: 10 }, (_, i) => ({
        top: 0.3 + 0.06 * i,
        runnerUp: 0.1,
        agrees: i < 8,
        weight: 1,
      })),
    );
    const learnedLowest = {
      deferral,
      sliceScores: Float64Array.from({ length: 10 }, (_, i) => (i >= 8 ? 0 : 0.5 + i / 100)),
    };
    const budgeted = fitRoutingToTeacher(
      surestWrong,
      { keepAgreement: 0.9, maxTeacherRate: 0.2 },
      learnedLowest,
    );
    expect(budgeted.rows.map((r) => r.met)).toEqual([false, false, false, true]);
    expect(budgeted.best).toMatchObject({ score: "learned", met: true });
    expect(budgeted.met).toBe(true);
    // Learned scores that tie both disagreements lowest: they meet Q at rate 0.2 with agreement 1, more
    // agreeing but dearer than max_prob's rate 0.1 at agreement 0.9.
    const tied = {
      deferral,
      sliceScores: Float64Array.from({ length: 10 }, (_, i) => (i < 2 ? 0 : 0.5 + i / 100)),
    };
    const both = fitRoutingToTeacher(ten, { keepAgreement: 0.9 }, tied);
    expect(both.rows.find((r) => r.score === "learned")).toMatchObject({ met: true });
    expect(both.rows.find((r) => r.score === "learned")!.agreement.value).toBeCloseTo(1, 12);
    expect(both.best).toMatchObject({ score: "max_prob", met: true });
    expect(both.best!.teacherRate.value).toBeCloseTo(0.1, 12);
  });

  it("says clearly, without throwing, when the goal cannot be met within the budget", () => {
    const fit = fitRoutingToTeacher(slice, { keepAgreement: 0.995, maxTeacherRate: 0.05 });
    expect(fit.met).toBe(false);
    expect(fit.rows.every((r) => !r.met)).toBe(true);
    expect(fit.summary).toMatch(/^goal not met: keeping 99\.5% .* 5\.0% teacher budget; best within it is /);
    // The fallback respects the budget and is the most agreeing point within it.
    for (const row of fit.rows) expect(row.teacherRate.value).toBeLessThanOrEqual(0.05 + 1e-12);
    expect(fit.best!.agreement.value).toBe(Math.max(...fit.rows.map((r) => r.agreement.value)));
    expect(fit.rule).not.toBeNull();

    const empty = fitRoutingToTeacher(outputsOf([]), { keepAgreement: 0.9 });
    expect(empty).toMatchObject({ n: 0, rows: [], best: null, rule: null, met: false });
    expect(empty.summary).toMatch(/no held-out records/);
  });

  it("refuses a malformed goal or misaligned inputs", () => {
    expect(RoutingGoal.safeParse({}).success).toBe(false);
    expect(RoutingGoal.safeParse({ keepAgreement: 1.2 }).success).toBe(false);
    expect(RoutingGoal.safeParse({ maxTeacherRate: 0.3, extra: 1 }).success).toBe(false);
    expect(() => fitRoutingToTeacher(slice, { keepAgreement: 0 })).toThrow();
    const short = { ...slice, weight: slice.weight.subarray(1) };
    expect(() => fitRoutingToTeacher(short, { keepAgreement: 0.9 })).toThrow(/weights/);
    const zero = { ...slice, weight: new Float64Array(slice.weight.length) };
    expect(() => fitRoutingToTeacher(zero, { keepAgreement: 0.9 })).toThrow(/not a positive number/);
    expect(() => fitRoutingToTeacher(zero, { keepAgreement: 0.9 })).toThrow(
      /^fitRoutingToTeacher: weight 0 /,
    );
  });
});

describe("pickPoint, on points in any order", () => {
  const point = (teacher_rate: number, accuracy: number) => ({
    threshold: teacher_rate,
    teacher_rate,
    accuracy,
  });
  const points = [point(0.5, 0.99), point(0.2, 0.96), point(0.1, 0.9), point(0.2, 0.97), point(0, 0.8)];

  it("keepAgreement: the cheapest point that meets it, the more agreeing on a tie in rate", () => {
    expect(pickPoint(points, { keepAgreement: 0.95 })).toEqual({ point: point(0.2, 0.97), met: true });
    // A confidence needs the effective record count to bound anything: without it, the point estimate.
    expect(pickPoint(points, { keepAgreement: 0.95, confidence: 0.95 })).toEqual({
      point: point(0.2, 0.97),
      met: true,
    });
  });

  it("maxTeacherRate: the most agreeing point within it, the cheaper on a tie in agreement", () => {
    const tied = [point(0.3, 0.9), point(0.2, 0.9), point(0.25, 0.9), point(0, 0.8)];
    expect(pickPoint(tied, { maxTeacherRate: 0.3 })).toEqual({ point: point(0.2, 0.9), met: true });
  });

  it("unmet: the most agreeing point within the budget, said not met", () => {
    expect(pickPoint(points, { keepAgreement: 0.995, maxTeacherRate: 0.3 })).toEqual({
      point: point(0.2, 0.97),
      met: false,
    });
  });
});

describe("inverse-probability weights remove the bias toward hard cases", () => {
  // Live traffic: each confident answer happens 10 times and is logged once (audit rate 10%, weight 10);
  // each unsure answer happens once and is always logged (escalated, weight 1).
  const rng = mulberry32(23);
  const confident = Array.from({ length: 150 }, () => {
    const top = 0.7 + 0.3 * rng();
    return { top, runnerUp: (1 - top) / 2, agrees: rng() < top };
  });
  const unsure = Array.from({ length: 150 }, () => {
    const top = 0.3 + 0.4 * rng();
    return { top, runnerUp: (1 - top) / 2, agrees: rng() < top };
  });
  const traffic = outputsOf([
    ...confident.flatMap((r) => Array.from({ length: 10 }, () => ({ ...r, weight: 1 }))),
    ...unsure.map((r) => ({ ...r, weight: 1 })),
  ]);
  const logged = (weighted: boolean) =>
    outputsOf([
      ...confident.map((r) => ({ ...r, weight: weighted ? 10 : 1 })),
      ...unsure.map((r) => ({ ...r, weight: 1 })),
    ]);
  const goal = { keepAgreement: 0.9 };
  // Fitted inside each test, not at collection: Stryker counts code run outside a test as "static" and
  // reruns every test for each of its mutants (docs/mutation.md).
  const fitOn = (outputs: LoggedOutputs) => fitRoutingToTeacher(outputs, goal).rows[0]!;

  it("weighted, the fit on the log is the fit on the traffic: same threshold, same figures", () => {
    const [truth, weighted] = [fitOn(traffic), fitOn(logged(true))];
    expect(weighted.threshold).toBe(truth.threshold);
    expect(weighted.teacherRate.value).toBeCloseTo(truth.teacherRate.value, 12);
    expect(weighted.agreement.value).toBeCloseTo(truth.agreement.value, 12);
  });

  it("unweighted, it trusts confident answers too much: the target is missed on traffic, the cost misstated", () => {
    const [truth, unweighted] = [fitOn(traffic), fitOn(logged(false))];
    // The log holds a tenth of the confident answers' disagreements, so they look safer than they are.
    expect(unweighted.threshold).toBeLessThan(truth.threshold);
    expect(unweighted.agreement.value).toBeGreaterThanOrEqual(0.9);
    const real = route(traffic, { score: "max_prob" }, unweighted.threshold);
    expect(real.agreement).toBeLessThan(0.9 - 0.03);
    // And the log over-represents escalated texts: its rate claims far more than traffic will see.
    expect(unweighted.teacherRate.value - real.teacherRate).toBeGreaterThan(0.2);
  });

  it("weighted, the interval is wider than the record count suggests (n_eff < n)", () => {
    const fit = fitRoutingToTeacher(logged(true), goal);
    expect(fit.effectiveN).toBeLessThan(fit.n);
    const plain = fitRoutingToTeacher(logged(false), goal);
    expect(plain.effectiveN).toBeCloseTo(plain.n, 9);
  });
});

describe("learned deferral in the comparison", () => {
  /**
   * max_prob is uninformative by construction: the top probability is about 0.5 for everyone. The
   * student disagrees with the teacher mostly when its runner-up is close, which the deferral can see.
   */
  function runnerUpCase(n: number, seed: number): LoggedOutputs {
    const rng = mulberry32(seed);
    const records = Array.from({ length: n }, (): SyntheticRecord => {
      const top = 0.45 + 0.1 * rng();
      const close = rng() < 0.3;
      const runnerUp = close ? top - 0.05 * rng() : (1 - top) / 9;
      return { top, runnerUp, agrees: rng() >= (close ? 0.7 : 0.03), weight: 1 };
    });
    return outputsOf(records, 10);
  }

  it("beats max-prob on the held-out slice where max-prob says nothing, and is shipped with its model", () => {
    const deferral = trainDeferral(runnerUpCase(3000, 1));
    expect(deferral).not.toBeNull();
    const fit = fitRoutingToTeacher(runnerUpCase(1500, 2), { keepAgreement: 0.95 }, deferral);
    const rate = (score: string) => fit.rows.find((r) => r.score === score)!.teacherRate.value;
    expect(fit.rows.map((r) => r.score)).toEqual([...SCORE_KINDS, "learned"]);
    // max_prob must escalate nearly everyone; the deferral about the 30% with a close runner-up.
    expect(rate("max_prob")).toBeGreaterThan(0.6);
    expect(rate("learned")).toBeLessThan(0.4);
    expect(fit.best!.score).not.toBe("max_prob");
    if (fit.best!.score === "learned") expect(fit.rule).toMatchObject({ score: "learned", deferral });
  });
});

describe("fitting to the agreement's lower confidence bound", () => {
  const goal = { keepAgreement: 0.95, confidence: 0.95 };
  const small = outputsOf(calibratedRecords(200, 11, (top) => (top > 0.8 ? 10 : 1)));
  const large = outputsOf(calibratedRecords(5000, 11, (top) => (top > 0.8 ? 10 : 1)));

  it("meets Q with the one-sided lower bound on n_eff, not the point estimate: a small slice escalates more", () => {
    const point = fitRoutingToTeacher(small, { keepAgreement: 0.95 });
    const bounded = fitRoutingToTeacher(small, goal);
    for (const [i, row] of bounded.rows.entries()) {
      expect(row.met).toBe(true);
      expect(
        weightedProportion(row.agreement.value, bounded.effectiveN, 1.6448536).lo,
      ).toBeGreaterThanOrEqual(0.95 - 1e-12);
      expect(row.teacherRate.value).toBeGreaterThan(point.rows[i]!.teacherRate.value);
    }
    expect(bounded.summary).toMatch(/95\.0% lower bound ≥ 95\.0%/);
    expect(point.summary).not.toMatch(/lower bound/);
    // A confidence bounds an agreement target only: with a budget alone there is none to bound.
    expect(fitRoutingToTeacher(small, { maxTeacherRate: 0.2, confidence: 0.95 }).summary).not.toMatch(
      /lower bound/,
    );
    expect(point.summary).toMatch(/^goal met by .* at teacher rate \d+\.\d%$/);
  });

  it("on a large slice the bound costs little beyond the point fit", () => {
    const extra = (outputs: LoggedOutputs) =>
      fitRoutingToTeacher(outputs, goal).best!.teacherRate.value -
      fitRoutingToTeacher(outputs, { keepAgreement: 0.95 }).best!.teacherRate.value;
    expect(extra(large)).toBeGreaterThanOrEqual(0);
    expect(extra(large)).toBeLessThan(extra(small) / 3);
  });

  it("refuses a confidence outside (0, 1)", () => {
    expect(() => fitRoutingToTeacher(small, { keepAgreement: 0.9, confidence: 1 })).toThrow();
    expect(() => fitRoutingToTeacher(small, { keepAgreement: 0.9, confidence: 0 })).toThrow();
  });
});
