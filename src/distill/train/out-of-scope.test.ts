import { describe, expect, it } from "vitest";
import { type EmbeddingBagWeights, forwardLogits } from "../../core/model.ts";
import { mulberry32 } from "../../core/random.ts";
import { argmax, softmax } from "../../core/softmax.ts";
import { applyOutOfScopeBias, chooseOutOfScopeBias } from "./out-of-scope.ts";
import { initWeights } from "./trainer.ts";

const OOS = 2;

/**
 * Three classes, out-of-scope last. An in-scope example sits `gap` above the oos logit (it turns oos
 * once the bias exceeds the gap); an oos example sits `gap` below the top in-scope logit (it is
 * recalled once the bias exceeds the gap). `wrong` in-scope examples are misclassified at any bias.
 */
function validation(inScopeGaps: number[], oosGaps: number[], wrong = 0) {
  const logits: Float32Array[] = [];
  const gold: number[] = [];
  inScopeGaps.forEach((gap, i) => {
    const y = i % 2;
    logits.push(Float32Array.from([y === 0 ? 3 : 1, y === 1 ? 3 : 1, 3 - gap]));
    gold.push(y);
  });
  for (let i = 0; i < wrong; i++) {
    logits.push(Float32Array.from([3, 1, -10]));
    gold.push(1);
  }
  for (const gap of oosGaps) {
    logits.push(Float32Array.from([3, 1, 3 - gap]));
    gold.push(OOS);
  }
  return { logits, gold: Int32Array.from(gold) };
}

const IN_GAPS = [0.55, 0.75, 1.25, 1.55, 2.05, 2.55, 3.05, 3.55, 5, 6];
const OOS_GAPS = [0.15, 0.35, 1.05, 2.25, 4.5];

describe("chooseOutOfScopeBias", () => {
  it("picks the largest bias that costs at most the allowed in-scope accuracy", () => {
    const { logits, gold } = validation(IN_GAPS, OOS_GAPS);
    // Losing two of ten in-scope answers (a 0.2 drop) is allowed: any bias below 1.25, so 1.2 on the grid.
    const choice = chooseOutOfScopeBias([logits], gold, OOS, 0.2);
    expect(choice.bias).toBeCloseTo(1.2, 9);
    expect(choice.inScopeAccuracy).toBeCloseTo(0.8, 12);
    expect(choice.oosRecall).toBeCloseTo(3 / 5, 12);
    // A smaller allowance buys less recall.
    const strict = chooseOutOfScopeBias([logits], gold, OOS, 0.1);
    expect(strict.bias).toBeCloseTo(0.7, 9);
    expect(strict.inScopeAccuracy).toBeCloseTo(0.9, 12);
    expect(strict.oosRecall).toBeCloseTo(2 / 5, 12);
  });

  it("keeps bias 0 and the base figures when no allowance is given and every step costs", () => {
    const { logits, gold } = validation([0.05, 1, 2], [0.5]);
    const choice = chooseOutOfScopeBias([logits], gold, OOS, 0);
    expect(choice).toEqual({ bias: 0, inScopeAccuracy: 1, oosRecall: 0 });
  });

  it("takes the whole grid when the in-scope answers never move", () => {
    const { logits, gold } = validation([9, 9.5], [0.5, 3.5]);
    const choice = chooseOutOfScopeBias([logits], gold, OOS, 0);
    expect(choice.bias).toBeCloseTo(4, 9);
    expect(choice.oosRecall).toBe(1);
  });

  it("allows a drop of exactly the allowance despite floating-point rounding", () => {
    // Base in-scope accuracy 8/10 (two always wrong); losing one more is a drop of exactly 0.1.
    const { logits, gold } = validation([0.55, 1.25, 1.55, 2.05, 2.55, 3.05, 3.55, 5], [0.15, 0.35, 1.05], 2);
    const choice = chooseOutOfScopeBias([logits], gold, OOS, 0.1);
    expect(choice.inScopeAccuracy).toBeCloseTo(0.7, 12);
    expect(choice.bias).toBeCloseTo(1.2, 9);
  });

  it("searches the grid it is given", () => {
    const { logits, gold } = validation(IN_GAPS, OOS_GAPS);
    const choice = chooseOutOfScopeBias([logits], gold, OOS, 0.2, [0, 0.5, 1, 1.3, 8]);
    expect(choice.bias).toBe(1);
    // Two identical members are one member.
    expect(chooseOutOfScopeBias([logits, logits], gold, OOS, 0.2)).toEqual(
      chooseOutOfScopeBias([logits], gold, OOS, 0.2),
    );
  });

  it("judges an ensemble by its members' mean probability, as the exported graph does", () => {
    // One in-scope example; member A is sure of class 0, member B leans out-of-scope. With the bias
    // added to both, the mean probability of oos overtakes class 0 between 2.1 and 2.5 (the mean
    // of the logits would flip at 2).
    const a = [Float32Array.from([5, 0, 0])];
    const b = [Float32Array.from([0, 0, 1])];
    const gold = Int32Array.from([0]);
    expect(chooseOutOfScopeBias([a, b], gold, OOS, 0, [0, 2.1, 2.5]).bias).toBe(2.1);
    expect(chooseOutOfScopeBias([a], gold, OOS, 0, [0, 2.1, 2.5]).bias).toBe(2.5);
  });
});

/** The definition, computed the slow way: every member's softmax again for every bias. */
function bruteForceChoice(
  members: Float32Array[][],
  gold: Int32Array,
  oos: number,
  drop: number,
  grid: number[],
) {
  const figures = (bias: number) => {
    let inScope = 0;
    let inHits = 0;
    let oosCount = 0;
    let oosHits = 0;
    gold.forEach((y, i) => {
      const mean = new Float64Array(members[0]![i]!.length);
      for (const m of members) {
        const z = Float64Array.from(m[i]!);
        z[oos]! += bias;
        const p = new Float64Array(z.length);
        softmax(z, p);
        p.forEach((pk, k) => {
          mean[k]! += pk;
        });
      }
      const predicted = argmax(mean);
      if (y === oos) {
        oosCount++;
        if (predicted === oos) oosHits++;
      } else {
        inScope++;
        if (predicted === y) inHits++;
      }
    });
    return { bias, inScopeAccuracy: inHits / inScope, oosRecall: oosHits / oosCount };
  };
  const base = figures(0);
  return grid
    .map(figures)
    .reduce(
      (best, f) =>
        f.inScopeAccuracy >= base.inScopeAccuracy - drop - 1e-12 && f.bias > best.bias ? f : best,
      base,
    );
}

describe("chooseOutOfScopeBias against its definition", () => {
  it("chooses what recomputing every member's softmax at every bias chooses", () => {
    const rng = mulberry32(7);
    const classes = 12;
    const oos = 5;
    const gold = Int32Array.from({ length: 400 }, (_, i) =>
      i % 4 === 0 ? oos : Math.floor(rng() * classes),
    );
    // Three members that mostly agree with the gold label, with logits spread wide enough to overflow a naive exp.
    const members = [0, 1, 2].map(() =>
      Array.from(gold, (y) =>
        Float32Array.from({ length: classes }, (_, k) => 40 * rng() + (k === y ? 30 : 0)),
      ),
    );
    const grid = Array.from({ length: 41 }, (_, i) => i * 0.5);
    for (const drop of [0, 0.01, 0.05, 0.2]) {
      const fast = chooseOutOfScopeBias(members, gold, oos, drop, grid);
      const slow = bruteForceChoice(members, gold, oos, drop, grid);
      expect(fast.bias).toBe(slow.bias);
      expect(fast.inScopeAccuracy).toBeCloseTo(slow.inScopeAccuracy, 12);
      expect(fast.oosRecall).toBeCloseTo(slow.oosRecall, 12);
    }
  });
});

describe("applyOutOfScopeBias", () => {
  const snapshot = (w: EmbeddingBagWeights) =>
    [w.embedding, w.hiddenWeight, w.hiddenBias, w.outWeight, w.outBias].map((a) => Array.from(a ?? []));

  it("adds the bias to the oos logit of every member and changes nothing else", () => {
    const arch = { buckets: 10, dim: 4, hidden: 3, classes: 3 };
    const members = [initWeights(arch, 1), initWeights({ ...arch, hidden: 0 }, 2)];
    const before = members.map(snapshot);
    const ids = Int32Array.from([1, 4, 4, 7]);
    const logitsBefore = members.map((m) => {
      const z = new Float32Array(3);
      forwardLogits(m, ids, z);
      return Array.from(z);
    });

    applyOutOfScopeBias(members, OOS, 1.5);

    members.forEach((m, i) => {
      const after = snapshot(m);
      expect(after.slice(0, 4)).toEqual(before[i]!.slice(0, 4));
      expect(after[4]!.slice(0, OOS)).toEqual(before[i]![4]!.slice(0, OOS));
      expect(after[4]![OOS]).toBeCloseTo(before[i]![4]![OOS]! + 1.5, 6);
      const z = new Float32Array(3);
      forwardLogits(m, ids, z);
      expect(z[0]).toBe(logitsBefore[i]![0]);
      expect(z[1]).toBe(logitsBefore[i]![1]);
      expect(z[2]).toBeCloseTo(logitsBefore[i]![2]! + 1.5, 5);
    });
  });
});
