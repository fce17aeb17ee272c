import { describe, expect, it } from "vitest";
import { type EmbeddingBagWeights, forwardLogits } from "../../core/model.ts";
import { argmax } from "../../core/softmax.ts";
import { createLossScratch, distillationLoss, type LossConfig } from "./loss.ts";
import { toyProblem } from "./testing.ts";
import {
  type Architecture,
  type EpochReport,
  exampleGradients,
  initWeights,
  type TrainConfig,
  type TrainSet,
  train,
} from "./trainer.ts";

/** The loss the trainer minimises, computed independently: core's forward pass + loss.ts. */
function referenceLoss(
  w: EmbeddingBagWeights,
  loss: LossConfig,
  ids: Int32Array,
  label: number,
  weight: number,
  teacher: Float32Array | null,
): number {
  const logits = new Float32Array(w.classes);
  forwardLogits(w, ids, logits);
  const grad = new Float32Array(w.classes);
  return distillationLoss(loss, logits, label, weight, teacher, grad, 1, createLossScratch(w.classes));
}

/** Pre-activations of the hidden layer, to keep the finite differences away from ReLU kinks. */
function hiddenPreActivations(w: EmbeddingBagWeights, ids: Int32Array): number[] {
  const pooled = new Float64Array(w.dim);
  for (const id of ids)
    for (let j = 0; j < w.dim; j++) pooled[j]! += w.embedding[id * w.dim + j]! / ids.length;
  return Array.from({ length: w.hidden }, (_, k) => {
    let a = w.hiddenBias![k]!;
    for (let j = 0; j < w.dim; j++) a += pooled[j]! * w.hiddenWeight![j * w.hidden + k]!;
    return a;
  });
}

/**
 * Float32 weights: perturb by EPS and divide by the perturbation actually stored (after rounding to
 * float32). EPS = 3e-3 balances truncation error (∝ EPS²) against float32 rounding of the forward
 * pass (≈1e-7 / EPS); the ReLU margin below keeps ±EPS from crossing a kink.
 */
const EPS = 3e-3;
const RELU_MARGIN = 0.05;

function expectGradientsMatch(
  name: string,
  params: Float32Array,
  analytic: Float32Array,
  loss: () => number,
): void {
  expect(analytic.length, name).toBe(params.length);
  for (let i = 0; i < params.length; i++) {
    const original = params[i]!;
    params[i] = original + EPS;
    const up = params[i]!;
    const lossUp = loss();
    params[i] = original - EPS;
    const down = params[i]!;
    const lossDown = loss();
    params[i] = original;
    const numeric = (lossUp - lossDown) / (up - down);
    const a = analytic[i]!;
    const scale = Math.max(Math.abs(a), Math.abs(numeric));
    // Relative error < 1e-2, with an absolute floor for gradients that are (near) zero.
    expect(Math.abs(a - numeric), `${name}[${i}]: analytic ${a}, numeric ${numeric}`).toBeLessThan(
      1e-2 * scale + 2e-5,
    );
  }
}

/** A small model whose hidden units sit clearly on one side of zero, with both signs present. */
function checkableModel(arch: Architecture, ids: Int32Array): EmbeddingBagWeights {
  for (let seed = 1; seed < 1000; seed++) {
    const w = initWeights(arch, seed);
    // Larger embeddings than the initialiser's, so the pooled vector and its gradient are not tiny.
    for (let i = 0; i < w.embedding.length; i++) w.embedding[i] = w.embedding[i]! * 3;
    for (let i = 0; i < w.outBias.length; i++) w.outBias[i] = 0.1 * (i - 1);
    if (arch.hidden === 0) return w;
    for (let k = 0; k < arch.hidden; k++) w.hiddenBias![k] = 0.05 * (k % 2 === 0 ? 1 : -1);
    const pre = hiddenPreActivations(w, ids);
    const clear = pre.every((a) => Math.abs(a) > RELU_MARGIN);
    if (clear && pre.some((a) => a > 0) && pre.some((a) => a < 0)) return w;
  }
  throw new Error("no checkable model found");
}

describe("trainer backward pass: numerical gradient check", () => {
  // Rows 0, 2 and 5 are not in the bag; row 3 appears twice.
  const ids = Int32Array.from([1, 3, 3, 4]);
  const teacher = Float32Array.from([0.5, 2.0, -1.0]);
  const lossCases: {
    name: string;
    loss: LossConfig;
    label: number;
    weight: number;
    teacher: Float32Array | null;
  }[] = [
    {
      name: "cross-entropy",
      loss: { alpha: 1, temperature: 1, labelSmoothing: 0 },
      label: 0,
      weight: 1,
      teacher: null,
    },
    {
      name: "weighted, label-smoothed cross-entropy",
      loss: { alpha: 1, temperature: 1, labelSmoothing: 0.1 },
      label: 2,
      weight: 1.7,
      teacher: null,
    },
    {
      name: "distillation α=0.3 T=2",
      loss: { alpha: 0.3, temperature: 2, labelSmoothing: 0 },
      label: 0,
      weight: 1,
      teacher,
    },
    {
      name: "pure distillation α=0 T=4",
      loss: { alpha: 0, temperature: 4, labelSmoothing: 0 },
      label: 1,
      weight: 1,
      teacher,
    },
  ];
  const cases = [0, 3].flatMap((hidden) => lossCases.map((c) => ({ ...c, hidden })));

  it.each(cases)("hidden=$hidden, $name", ({ hidden, loss, label, weight, teacher }) => {
    const arch = { buckets: 6, dim: 4, hidden, classes: 3 };
    const w = checkableModel(arch, ids);
    const g = exampleGradients(w, loss, ids, label, weight, teacher);
    const f = () => referenceLoss(w, loss, ids, label, weight, teacher);

    // The trainer's forward pass gives the same loss as core's.
    expect(g.loss).toBeCloseTo(f(), 6);
    expect(g.loss).toBeGreaterThan(0);

    expectGradientsMatch("embedding", w.embedding, g.embedding, f);
    expectGradientsMatch("outWeight", w.outWeight, g.outWeight, f);
    expectGradientsMatch("outBias", w.outBias, g.outBias, f);
    if (hidden > 0) {
      expectGradientsMatch("hiddenWeight", w.hiddenWeight!, g.hiddenWeight, f);
      expectGradientsMatch("hiddenBias", w.hiddenBias!, g.hiddenBias, f);
    } else {
      expect(g.hiddenWeight).toHaveLength(0);
      expect(g.hiddenBias).toHaveLength(0);
    }

    // Only the rows in the bag are touched, and the others get exactly zero gradient.
    expect(g.touchedRows).toEqual([1, 3, 4]);
    for (const row of [0, 2, 5]) {
      expect(Array.from(g.embedding.subarray(row * arch.dim, (row + 1) * arch.dim))).toEqual([0, 0, 0, 0]);
    }
    // A non-trivial gradient reached the embedding rows.
    expect(g.embedding.some((x) => Math.abs(x) > 1e-3)).toBe(true);
  });

  it("gives no embedding gradient for an empty bag but still trains the head", () => {
    const w = initWeights({ buckets: 4, dim: 3, hidden: 0, classes: 2 }, 1);
    const g = exampleGradients(w, { alpha: 1, temperature: 1, labelSmoothing: 0 }, new Int32Array(0), 1);
    expect(g.touchedRows).toEqual([]);
    expect(g.embedding.every((x) => x === 0)).toBe(true);
    // Logits are the biases (zero), so p = (½, ½) and ∂L/∂b = p − y.
    expect(Array.from(g.outBias)).toEqual([0.5, -0.5]);
    expect(g.loss).toBeCloseTo(Math.LN2, 6);
  });
});

const TOY_ARCH: Architecture = { buckets: 40, dim: 8, hidden: 0, classes: 4 };
const TOY_CONFIG: TrainConfig = {
  epochs: 30,
  batchSize: 8,
  lr: 0.05,
  weightDecay: 0,
  decay: true,
  seed: 11,
  loss: { alpha: 1, temperature: 1, labelSmoothing: 0 },
  featureDropout: 0,
};

function accuracy(w: EmbeddingBagWeights, set: TrainSet): number {
  const logits = new Float32Array(w.classes);
  let hits = 0;
  set.bags.forEach((bag, i) => {
    forwardLogits(w, bag, logits);
    if (argmax(logits) === set.labels[i]) hits++;
  });
  return hits / set.bags.length;
}

const allWeights = (w: EmbeddingBagWeights): number[][] =>
  [w.embedding, w.hiddenWeight, w.hiddenBias, w.outWeight, w.outBias].map((a) => Array.from(a ?? []));

describe("train", () => {
  const set = toyProblem(4, 10, 3);

  it.each([0, 8])("reaches 100%% training accuracy on a separable toy problem (hidden=%i)", (hidden) => {
    const arch = { ...TOY_ARCH, hidden };
    const untrained = initWeights(arch, TOY_CONFIG.seed);
    expect(accuracy(untrained, set)).toBeLessThan(1);
    const reports: EpochReport[] = [];
    const w = train(arch, set, TOY_CONFIG, (r) => reports.push({ ...r }));
    expect(accuracy(w, set)).toBe(1);
    expect(reports.map((r) => r.epoch)).toEqual(Array.from({ length: TOY_CONFIG.epochs }, (_, i) => i + 1));
    expect(reports.at(-1)!.loss).toBeLessThan(reports[0]!.loss / 4);
  });

  it("is deterministic for a seed, feature dropout included, and differs across seeds", () => {
    const config = { ...TOY_CONFIG, epochs: 3, featureDropout: 0.3 };
    const arch = { ...TOY_ARCH, hidden: 4 };
    const a = train(arch, set, config);
    const b = train(arch, set, config);
    const c = train(arch, set, { ...config, seed: config.seed + 1 });
    expect(allWeights(a)).toEqual(allWeights(b));
    expect(allWeights(c)).not.toEqual(allWeights(a));
    // Same initial weights, different seed: the shuffles and dropout alone make runs differ.
    const d = train(arch, set, { ...config, seed: 99 }, () => {}, initWeights(arch, config.seed));
    expect(allWeights(d)).not.toEqual(allWeights(a));
  });

  it.each([0, 0.1])("leaves embedding rows no bag uses unchanged (weightDecay=%d)", (weightDecay) => {
    const arch = { ...TOY_ARCH, buckets: 50 };
    const config = { ...TOY_CONFIG, epochs: 5, weightDecay };
    const before = initWeights(arch, config.seed);
    const w = train(arch, set, config, () => {}, initWeights(arch, config.seed));
    const used = new Set(set.bags.flatMap((b) => Array.from(b)));
    expect(used.size).toBe(12);
    const dim = arch.dim;
    for (let row = 0; row < arch.buckets; row++) {
      const rowBefore = Array.from(before.embedding.subarray(row * dim, (row + 1) * dim));
      const rowAfter = Array.from(w.embedding.subarray(row * dim, (row + 1) * dim));
      if (used.has(row)) expect(rowAfter, `row ${row}`).not.toEqual(rowBefore);
      else expect(rowAfter, `row ${row}`).toEqual(rowBefore);
    }
  });

  it("distils: with α=0 the student follows the teacher's answers, not the labels", () => {
    // The teacher disagrees with every label: it answers (label + 1) mod 4.
    const teacherLogits = Array.from(set.labels, (y) => {
      const z = new Float32Array(4);
      z[(y + 1) % 4] = 5;
      return z;
    });
    const kd: TrainSet = { ...set, teacherLogits };
    const w = train(TOY_ARCH, kd, { ...TOY_CONFIG, loss: { alpha: 0, temperature: 2, labelSmoothing: 0 } });
    const followsTeacher: TrainSet = { ...set, labels: Int32Array.from(set.labels, (y) => (y + 1) % 4) };
    expect(accuracy(w, followsTeacher)).toBe(1);
    expect(accuracy(w, set)).toBe(0);
  });
});
