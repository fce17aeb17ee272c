import { describe, expect, it } from "vitest";
import type { EmbeddingBagWeights } from "../../core/model.ts";
import { toyProblem } from "../train/testing.ts";
import { type Architecture, type EpochReport, type TrainConfig, train } from "../train/trainer.ts";
import { accuracy } from "./accuracy.ts";
import { trainTwo } from "./parallel-members.ts";

const ARCH: Architecture = { buckets: 40, dim: 8, hidden: 0, classes: 4 };
const config = (seed: number): TrainConfig => ({
  epochs: 6,
  batchSize: 8,
  lr: 0.05,
  weightDecay: 0.01,
  decay: true,
  seed,
  loss: { alpha: 1, temperature: 1, labelSmoothing: 0.05 },
  featureDropout: 0,
});
const set = toyProblem(4, 10, 3);
const val = toyProblem(4, 5, 4);
const flat = (w: EmbeddingBagWeights): number[] =>
  [w.embedding, w.hiddenWeight, w.hiddenBias, w.outWeight, w.outBias].flatMap((a) => Array.from(a ?? []));

describe("trainTwo", () => {
  it.each([false, true])(
    "gives each model exactly train()'s weights and epochs (validation shown: %s)",
    async (shown) => {
      const seen: { epoch: number; loss: number; acc: number | null }[][] = [[], []];
      const report = (k: 0 | 1) => (e: EpochReport, valAccuracy: () => number) =>
        seen[k]!.push({ ...e, acc: shown ? valAccuracy() : null });
      const [a, b] = await trainTwo(ARCH, set, [config(1), config(2)], [report(0), report(1)], {
        ...val,
        shown,
      });
      const expected = [config(1), config(2)].map((c) => {
        const epochs: { epoch: number; loss: number; acc: number | null }[] = [];
        const w = train(ARCH, set, c, (e, w) =>
          epochs.push({ ...e, acc: shown ? accuracy(w, val.bags, val.labels) : null }),
        );
        return { w, epochs };
      });
      expect(flat(a)).toEqual(flat(expected[0]!.w));
      expect(flat(b)).toEqual(flat(expected[1]!.w));
      expect(flat(a)).not.toEqual(flat(b));
      expect(seen[0]).toEqual(expected[0]!.epochs);
      expect(seen[1]).toEqual(expected[1]!.epochs);
      expect(seen[1]!.map((e) => e.epoch)).toEqual([1, 2, 3, 4, 5, 6]);
    },
    30_000,
  );

  it("stops the other thread and rejects when an epoch callback throws", async () => {
    const fail = () => {
      throw new Error("stop here");
    };
    await expect(
      trainTwo(ARCH, set, [config(1), config(2)], [fail, () => {}], { ...val, shown: false }),
    ).rejects.toThrow("stop here");
  }, 30_000);
});
