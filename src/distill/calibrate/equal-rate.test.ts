import { describe, expect, it } from "vitest";
import { mulberry32 } from "../../core/random.ts";
import { outcomesAtRate } from "./equal-rate.ts";
import { sweepThresholds } from "./threshold.ts";

describe("outcomesAtRate", () => {
  const rng = mulberry32(31);
  const n = 80;
  // Few distinct scores: many ties, so most rates fall inside a tie group.
  const scores = Float64Array.from({ length: n }, () => Math.floor(rng() * 7) / 7);
  const agrees = Uint8Array.from({ length: n }, () => Number(rng() < 0.7));
  const weights = Float64Array.from({ length: n }, () => 1 + Math.floor(rng() * 5));
  const total = weights.reduce((s, w) => s + w, 0);
  const out = new Float64Array(n);

  it("spends exactly the rate: Σ w_i π_i = r·Σw, the straddled tie group in part", () => {
    // With no agreement at all, a_i(r) is the escalation probability π_i itself.
    const none = new Uint8Array(n);
    for (const rate of [0, 0.13, 0.5, 0.77, 1]) {
      outcomesAtRate(scores, none, weights, rate, out);
      expect(out.reduce((s, pi, i) => s + weights[i]! * pi, 0)).toBeCloseTo(rate * total, 9);
      // Escalation never skips a lower score for a higher one, and a tie group moves together.
      for (let i = 0; i < n; i++)
        for (let j = 0; j < n; j++) {
          if (scores[i]! < scores[j]!) expect(out[i]).toBeGreaterThanOrEqual(out[j]!);
          if (scores[i] === scores[j]) expect(out[i]).toBe(out[j]);
        }
    }
  });

  it("lies on the sweep's curve: linear between its operating points, equal at them", () => {
    const points = sweepThresholds(scores, agrees, new Uint8Array(n).fill(1), weights);
    for (const p of points) {
      const { agreement } = outcomesAtRate(scores, agrees, weights, p.teacher_rate, out);
      expect(agreement).toBeCloseTo(p.accuracy, 12);
    }
    for (let k = 1; k < points.length; k++) {
      const [a, b] = [points[k - 1]!, points[k]!];
      const mid = (a.teacher_rate + b.teacher_rate) / 2;
      const { agreement, threshold } = outcomesAtRate(scores, agrees, weights, mid, out);
      expect(agreement).toBeCloseTo((a.accuracy + b.accuracy) / 2, 12);
      // The straddled group is the one the sweep moved between these two points.
      expect(threshold).toBeLessThan(b.threshold);
      expect(threshold).toBeGreaterThanOrEqual(a.threshold);
    }
  });

  it("at an operating point's rate escalates whole groups only, whatever the rounding of the weights", () => {
    // Tenths do not sum exactly in binary: each point's rate times the total misses the escalated weight
    // by a rounding, which must not turn the next group into a straddled one nor split the last whole one.
    const tenths = Float64Array.from(weights, (w) => w / 10);
    const points = sweepThresholds(scores, agrees, new Uint8Array(n).fill(1), tenths);
    for (const p of points.slice(0, -1)) {
      const kept = Math.min(...scores.filter((s) => s >= p.threshold));
      expect(outcomesAtRate(scores, agrees, tenths, p.teacher_rate, out).threshold).toBe(kept);
      for (let i = 0; i < n; i++) expect(out[i]).toBeCloseTo(scores[i]! < p.threshold ? 1 : agrees[i]!, 12);
    }
  });

  it("gives agreement 0, not NaN, and no threshold on no records", () => {
    expect(outcomesAtRate([], [], [], 0.5, new Float64Array(0))).toEqual({
      threshold: Number.POSITIVE_INFINITY,
      agreement: 0,
    });
  });

  it("is the student's agreement at rate 0 and total agreement at rate 1", () => {
    const student = agrees.reduce((s, a, i) => s + a * weights[i]!, 0) / total;
    expect(outcomesAtRate(scores, agrees, weights, 0, out).agreement).toBeCloseTo(student, 12);
    const all = outcomesAtRate(scores, agrees, weights, 1, out);
    expect(all.agreement).toBeCloseTo(1, 12);
    expect(all.threshold).toBe(Number.POSITIVE_INFINITY);
  });
});
