import { describe, expect, it } from "vitest";
import { createLossScratch, distillationLoss, type LossConfig } from "./loss.ts";

const f32 = (xs: number[]) => Float32Array.from(xs);

function run(
  config: LossConfig,
  logits: number[],
  label: number,
  teacher: number[] | null,
  weight = 1,
  scale = 1,
): { loss: number; grad: number[] } {
  const grad = new Float32Array(logits.length);
  const loss = distillationLoss(
    config,
    f32(logits),
    label,
    weight,
    teacher ? f32(teacher) : null,
    grad,
    scale,
    createLossScratch(logits.length),
  );
  return { loss, grad: Array.from(grad) };
}

/** Plain-Math softmax (of values exactly representable in float32, as the test inputs are). */
const softmax = (z: number[], T = 1): number[] => {
  const e = z.map((x) => Math.exp(x / T));
  const s = e.reduce((a, b) => a + b, 0);
  return e.map((x) => x / s);
};

const Z = [1, 2, 0.5];
const TEACHER = [2, 0.5, -1];
const LABEL = 1;

describe("distillationLoss", () => {
  it("matches a hand-computed distillation case (3 classes, T=2, α=0.5)", () => {
    const T = 2;
    const alpha = 0.5;
    const p = softmax(Z);
    const pT = softmax(Z, T);
    const qT = softmax(TEACHER, T);
    const ce = -Math.log(p[LABEL]!);
    const kl = qT.reduce((s, q, k) => s + q * Math.log(q / pT[k]!), 0);
    const expectedLoss = alpha * ce + (1 - alpha) * T * T * kl;
    const expectedGrad = p.map(
      (pk, k) => alpha * (pk - (k === LABEL ? 1 : 0)) + (1 - alpha) * T * (pT[k]! - qT[k]!),
    );

    const { loss, grad } = run({ alpha, temperature: T, labelSmoothing: 0 }, Z, LABEL, TEACHER);
    expect(loss).toBeCloseTo(expectedLoss, 12);
    grad.forEach((g, k) => {
      expect(g).toBeCloseTo(expectedGrad[k]!, 6);
    });
    // The same figures, computed independently (Python, float64): CE 0.46437, KL 0.19111.
    expect(loss).toBeCloseTo(0.6144021970741853, 12);
    expect(grad[0]).toBeCloseTo(-0.1824297511168884, 6);
    expect(grad[1]).toBeCloseTo(0.01668943366297776, 6);
    expect(grad[2]).toBeCloseTo(0.16574031745391044, 6);
    // Logit gradients of a softmax loss sum to zero.
    expect(grad.reduce((a, b) => a + b, 0)).toBeCloseTo(0, 6);
  });

  it("with α=1 is plain cross-entropy, teacher or not", () => {
    const p = softmax(Z);
    const plain = { loss: -Math.log(p[LABEL]!), grad: p.map((pk, k) => pk - (k === LABEL ? 1 : 0)) };
    for (const teacher of [TEACHER, null]) {
      const { loss, grad } = run({ alpha: 1, temperature: 3, labelSmoothing: 0 }, Z, LABEL, teacher);
      expect(loss).toBeCloseTo(plain.loss, 12);
      grad.forEach((g, k) => {
        expect(g).toBeCloseTo(plain.grad[k]!, 6);
      });
    }
  });

  it("without a teacher ignores α and trains on the labels alone", () => {
    const withAlpha = run({ alpha: 0.2, temperature: 2, labelSmoothing: 0 }, Z, LABEL, null);
    const plain = run({ alpha: 1, temperature: 2, labelSmoothing: 0 }, Z, LABEL, null);
    expect(withAlpha).toEqual(plain);
  });

  it("with α=0 depends only on the teacher, not on the label", () => {
    const config = { alpha: 0, temperature: 2, labelSmoothing: 0 };
    expect(run(config, Z, 0, TEACHER)).toEqual(run(config, Z, 2, TEACHER));
    // A student that already matches the teacher has zero loss and zero gradient.
    const matched = run(config, TEACHER, 0, TEACHER);
    expect(matched.loss).toBeCloseTo(0, 12);
    for (const g of matched.grad) expect(g).toBeCloseTo(0, 7);
  });

  it("spreads ε of the target mass uniformly with label smoothing", () => {
    const eps = 0.1;
    const p = softmax(Z);
    const y = [eps / 3, 1 - eps + eps / 3, eps / 3];
    const { loss, grad } = run({ alpha: 1, temperature: 1, labelSmoothing: eps }, Z, LABEL, null);
    expect(loss).toBeCloseTo(-y.reduce((s, yk, k) => s + yk * Math.log(p[k]!), 0), 12);
    expect(loss).toBeCloseTo(0.5477021174412781, 12);
    grad.forEach((g, k) => {
      expect(g).toBeCloseTo(p[k]! - y[k]!, 6);
    });
    // Smoothing raises the loss of a confident right answer above plain cross-entropy.
    expect(loss).toBeGreaterThan(-Math.log(p[LABEL]!));
  });

  it("weights the hard-label term by the example weight and scales only the gradient", () => {
    const config = { alpha: 0.5, temperature: 2, labelSmoothing: 0 };
    const base = run(config, Z, LABEL, TEACHER);
    const hardOnly = run({ ...config, alpha: 1 }, Z, LABEL, TEACHER);
    const weighted = run(config, Z, LABEL, TEACHER, 3);
    // L = α·w·CE + (1−α)·T²·KL: raising w from 1 to 3 adds 2·α·CE.
    expect(weighted.loss).toBeCloseTo(base.loss + 2 * 0.5 * hardOnly.loss, 10);
    weighted.grad.forEach((g, k) => {
      expect(g).toBeCloseTo(base.grad[k]! + 2 * 0.5 * hardOnly.grad[k]!, 6);
    });
    const scaled = run(config, Z, LABEL, TEACHER, 1, 0.25);
    expect(scaled.loss).toBe(base.loss);
    scaled.grad.forEach((g, k) => {
      expect(g).toBeCloseTo(0.25 * base.grad[k]!, 7);
    });
  });

  it("stays finite with extreme logits and a one-hot teacher", () => {
    const { loss, grad } = run(
      { alpha: 0.5, temperature: 1, labelSmoothing: 0.1 },
      [1000, -1000, 0],
      1,
      [1e4, 0, 0],
    );
    expect(Number.isFinite(loss)).toBe(true);
    expect(loss).toBeGreaterThan(0);
    for (const g of grad) expect(Number.isFinite(g)).toBe(true);
  });

  it.each([
    { name: "cross-entropy", config: { alpha: 1, temperature: 1, labelSmoothing: 0 }, teacher: null },
    { name: "label smoothing", config: { alpha: 1, temperature: 1, labelSmoothing: 0.2 }, teacher: null },
    { name: "KD T=2 α=0.5", config: { alpha: 0.5, temperature: 2, labelSmoothing: 0 }, teacher: TEACHER },
    {
      name: "KD T=4 α=0.1 smoothed",
      config: { alpha: 0.1, temperature: 4, labelSmoothing: 0.1 },
      teacher: TEACHER,
    },
  ])("gradient matches central finite differences: $name", ({ config, teacher }) => {
    const z = [0.3, -1.2, 2.1];
    const weight = 1.5;
    const { grad } = run(config, z, 2, teacher, weight);
    const h = 1e-3;
    for (let k = 0; k < z.length; k++) {
      const up = z.map((x, i) => (i === k ? Math.fround(x + h) : x));
      const down = z.map((x, i) => (i === k ? Math.fround(x - h) : x));
      const numeric =
        (run(config, up, 2, teacher, weight).loss - run(config, down, 2, teacher, weight).loss) /
        (up[k]! - down[k]!);
      expect(Math.abs(grad[k]! - numeric)).toBeLessThan(1e-4 * Math.max(1, Math.abs(numeric)));
    }
  });
});
