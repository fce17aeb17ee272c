import { describe, expect, it } from "vitest";
import { routingScore } from "../../core/routing-score.ts";
import { fitRoutingToTeacher } from "./agreement-fit.ts";
import { CROSS_FIT_FOLDS, crossFitDeferral } from "./cross-fit.ts";
import { trainDeferral } from "./deferral.ts";
import type { LoggedOutputs } from "./logged-outputs.ts";

/** Two-label outputs: p(a) spread over (0.5, 1); the teacher says b mostly where p(a) is low. */
function slice(n: number, seed: number): LoggedOutputs {
  let s = seed;
  const rand = () => {
    s = (s * 1103515245 + 12345) % 2 ** 31;
    return s / 2 ** 31;
  };
  const probs: Float64Array[] = [];
  const teacherLabel = new Int32Array(n);
  const weight = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const pa = 0.5 + 0.5 * rand();
    probs.push(Float64Array.of(pa, 1 - pa));
    teacherLabel[i] = rand() < 1.6 * (1 - pa) ? 1 : 0;
    weight[i] = i % 3 === 0 ? 10 : 1;
  }
  return { probs, teacherLabel, weight };
}

const without = (outputs: LoggedOutputs, fold: number): LoggedOutputs => {
  const keep = outputs.probs.map((_, i) => i).filter((i) => i % CROSS_FIT_FOLDS !== fold);
  return {
    probs: keep.map((i) => outputs.probs[i]!),
    teacherLabel: Int32Array.from(keep, (i) => outputs.teacherLabel[i]!),
    weight: Float64Array.from(keep, (i) => outputs.weight[i]!),
  };
};

describe("crossFitDeferral", () => {
  const data = slice(400, 3);
  // Fitted inside the tests, not at collection (Stryker's "static" code, docs/mutation.md).
  const fitted = () => crossFitDeferral(data)!;

  it("scores every record with a model that never saw it; ships the model of the whole slice", () => {
    const crossFit = fitted();
    expect(crossFit.deferral).toEqual(trainDeferral(data));
    for (const i of [0, 1, 7, 123, 399]) {
      const model = trainDeferral(without(data, i % CROSS_FIT_FOLDS))!;
      expect(crossFit.sliceScores[i]).toBeCloseTo(
        routingScore({ score: "learned", deferral: model }, data.probs[i]!),
        12,
      );
      // ...which is not the whole-slice model's score of it.
      expect(crossFit.sliceScores[i]).not.toBe(
        routingScore({ score: "learned", deferral: crossFit.deferral }, data.probs[i]!),
      );
    }
  });

  it("the routing fit judges the learned row by the out-of-fold scores and ships the full model", () => {
    const crossFit = fitted();
    // An oracle's scores (1 where the student agrees) make the learned row escalate exactly the disagreements.
    const agrees = data.probs.map((p, i) => (p[0]! >= p[1]! ? 0 : 1) === data.teacherLabel[i]);
    const oracle = {
      deferral: crossFit.deferral,
      sliceScores: Float64Array.from(agrees, (a) => (a ? 1 : 0)),
    };
    const fit = fitRoutingToTeacher(data, { keepAgreement: 1 }, oracle);
    const learned = fit.rows.find((r) => r.score === "learned")!;
    let total = 0;
    let disagreeing = 0;
    data.weight.forEach((w, i) => {
      total += w;
      if (!agrees[i]) disagreeing += w;
    });
    expect(learned.teacherRate.value).toBeCloseTo(disagreeing / total, 12);
    expect(fit.best!.score).toBe("learned");
    expect(fit.rule).toMatchObject({ score: "learned", deferral: crossFit.deferral });
    expect(() =>
      fitRoutingToTeacher(data, { keepAgreement: 1 }, { ...oracle, sliceScores: new Float64Array(3) }),
    ).toThrow(/3 deferral scores for 400 records/);
  });

  it("every record, whatever its fold, is scored by its own fold's model", () => {
    const crossFit = fitted();
    const models = Array.from({ length: CROSS_FIT_FOLDS }, (_, fold) => trainDeferral(without(data, fold))!);
    data.probs.forEach((p, i) => {
      const model = models[i % CROSS_FIT_FOLDS]!;
      expect(crossFit.sliceScores[i]).toBeCloseTo(routingScore({ score: "learned", deferral: model }, p), 12);
    });
  });

  it("a fold whose other folds hold no disagreement ties its records at 0.5", () => {
    // Only fold 0 disagrees: its model learns from agreement alone, so there is none; the others have one.
    const onlyFold0 = {
      ...data,
      teacherLabel: data.teacherLabel.map((label, i) => (i % CROSS_FIT_FOLDS ? 0 : label)),
    };
    const crossFit = crossFitDeferral(onlyFold0)!;
    expect(crossFit).not.toBeNull();
    data.probs.forEach((_, i) => {
      if (i % CROSS_FIT_FOLDS === 0) expect(crossFit.sliceScores[i]).toBe(0.5);
      else expect(crossFit.sliceScores[i]).not.toBe(0.5);
    });
  });

  it("refuses misaligned outputs by name", () => {
    expect(() => crossFitDeferral({ ...data, weight: data.weight.subarray(1) })).toThrow(
      /^crossFitDeferral: 400 probability vectors, 400 teacher labels, 399 weights$/,
    );
  });

  it("nothing to learn when the student always agrees with the teacher", () => {
    const agreeing = { ...data, teacherLabel: new Int32Array(data.probs.length) };
    expect(crossFitDeferral(agreeing)).toBeNull();
  });
});
