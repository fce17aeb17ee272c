import { describe, expect, it } from "vitest";
import type { EmbeddingBagWeights } from "../../core/model.ts";
import { toyProblem } from "../train/testing.ts";
import {
  type Architecture,
  type EpochReport,
  type TrainConfig,
  type TrainSet,
  train,
} from "../train/trainer.ts";
import { accuracy } from "./accuracy.ts";
import { trainOnShards } from "./parallel-train.ts";

const ARCH: Architecture = { buckets: 40, dim: 8, hidden: 0, classes: 4 };
const CONFIG: TrainConfig = {
  epochs: 12,
  batchSize: 8,
  lr: 0.05,
  weightDecay: 0.01,
  decay: true,
  seed: 11,
  loss: { alpha: 0.5, temperature: 2, labelSmoothing: 0.05 },
  featureDropout: 0,
};

const set = toyProblem(4, 10, 3);
const kdSet: TrainSet = {
  ...set,
  // A teacher for most examples, none for some (logged answers without a distribution).
  teacherLogits: Array.from(set.labels, (y, i) =>
    i % 5 === 0 ? null : Float32Array.from([0, 1, 2, 3], (k) => (k === y ? 3 : k * 0.1)),
  ),
  weights: Float32Array.from(set.labels, (_, i) => 1 + (i % 3) * 0.5),
};

const flat = (w: EmbeddingBagWeights): number[] =>
  [w.embedding, w.hiddenWeight, w.hiddenBias, w.outWeight, w.outBias].flatMap((a) => Array.from(a ?? []));

describe("trainOnShards", () => {
  it.each([0, 6])("equals train() exactly when each batch has one example (hidden=%i)", async (hidden) => {
    // With batch size 1 shard 1's half is empty, so the sum of the halves is shard 0's gradient alone.
    const arch = { ...ARCH, hidden };
    const config = { ...CONFIG, batchSize: 1, epochs: 3 };
    expect(flat(await trainOnShards(arch, kdSet, config))).toEqual(flat(train(arch, kdSet, config)));
  });

  it("reports each epoch's validation accuracy, scored in the shard's thread, when it is shown", async () => {
    // Batch size 1: the shards' weights after each epoch are train()'s, so are their scores.
    const config = { ...CONFIG, batchSize: 1, epochs: 4 };
    const val = toyProblem(4, 5, 4);
    const expected: number[] = [];
    train(ARCH, kdSet, config, (_, w) => expected.push(accuracy(w, val.bags, val.labels)));
    const scores = (shown: boolean) => {
      const seen: number[] = [];
      return trainOnShards(ARCH, kdSet, config, (_, valAccuracy) => seen.push(valAccuracy()), {
        ...val,
        shown,
      }).then(() => seen);
    };
    expect(await scores(true)).toEqual(expected);
    expect(new Set(expected).size).toBeGreaterThan(1);
    // Not shown: no pass over the split, and no number that could pass for a score.
    expect((await scores(false)).every(Number.isNaN)).toBe(true);
  }, 30_000);

  it("matches train() up to float32 summation order on real minibatches, and is deterministic", async () => {
    const reports: EpochReport[] = [];
    const sharded = await trainOnShards(ARCH, kdSet, CONFIG, (r) => reports.push({ ...r }));
    const again = await trainOnShards(ARCH, kdSet, CONFIG);
    const single = train(ARCH, kdSet, CONFIG);
    expect(flat(again)).toEqual(flat(sharded));
    const diff = flat(sharded).map((x, i) => Math.abs(x - flat(single)[i]!));
    expect(Math.max(...diff)).toBeLessThan(1e-4);
    expect(flat(sharded)).not.toEqual(flat(initialOf()));
    expect(accuracy(sharded, set.bags, set.labels)).toBe(1);
    expect(reports.map((r) => r.epoch)).toEqual(Array.from({ length: CONFIG.epochs }, (_, i) => i + 1));
    expect(reports.at(-1)!.loss).toBeLessThan(reports[0]!.loss);
    // Three runs, each starting a thread that loads its TypeScript: seconds on a busy machine.
  }, 30_000);

  it("leaves this thread's event loop free while the shards train (the loop's lease renewals run on it)", async () => {
    let ticks = 0;
    const timer = setInterval(() => ticks++, 5);
    const epochs: number[] = [];
    try {
      await trainOnShards(ARCH, kdSet, { ...CONFIG, epochs: 1000 }, () => epochs.push(ticks));
    } finally {
      clearInterval(timer);
    }
    // The timer kept firing between the epochs' reports, not only after the training.
    expect(epochs.at(-1)!).toBeGreaterThan(epochs[0]!);
  }, 30_000);

  it("stops the other thread and rejects when an epoch callback throws", async () => {
    await expect(
      trainOnShards(ARCH, set, CONFIG, () => {
        throw new Error("stop here");
      }),
    ).rejects.toThrow("stop here");
  });

  it("refuses feature dropout, which would need per-shard random streams", async () => {
    await expect(trainOnShards(ARCH, set, { ...CONFIG, featureDropout: 0.1 })).rejects.toThrow(/dropout/);
  });
});

const initialOf = () => train(ARCH, set, { ...CONFIG, epochs: 0 });
