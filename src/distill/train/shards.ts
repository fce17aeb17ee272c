import type { EmbeddingBagWeights } from "../../core/model.ts";
import { mulberry32 } from "../../core/random.ts";
import {
  type AdamConfig,
  type AdamState,
  adamRowUpdate,
  adamUpdateOfSum,
  DEFAULT_ADAM,
  stepScalars,
} from "./adam.ts";
import {
  type Architecture,
  type EpochReport,
  ExampleStep,
  forEachMinibatch,
  type GradientSink,
  type TrainConfig,
  type TrainSet,
  teacherTargets,
} from "./trainer.ts";

/**
 * Data-parallel training over two shards in shared memory, one thread each: every minibatch is split in
 * two halves, each shard accumulates its half's gradients in its own buffers, then each shard sums the
 * two (always shard 0's + shard 1's) and applies AdamW to its share of the parameters: embedding rows of
 * its parity, one half of each dense tensor. The result depends on the seed alone, never on the number
 * of cores or on thread timing; it differs from trainer.ts's single-thread train() only in the order
 * the two halves' gradients are summed.
 */
export const SHARDS = 2;

/**
 * One shard's gradient buffers in shared memory, read by the other shard too. The embedding gradient is
 * compact: the k-th row touched in a step has its gradient in slot k, embedding[k·dim, (k+1)·dim), so a
 * step's gradients stay in a few hundred kilobytes of cache instead of spreading over the whole table.
 */
export interface ShardGradients extends Omit<GradientSink, "touch"> {
  /** The row of each slot, in first-touched order; touchedCount[0] slots are in use. */
  readonly touched: Int32Array;
  readonly touchedCount: Int32Array;
  /** Each row's slot plus one; 0 when the row has no gradient this step. */
  readonly slotOf: Int32Array;
}

/** Everything both threads read and write, as typed arrays over SharedArrayBuffers. */
export interface SharedTraining {
  arch: Architecture;
  weights: EmbeddingBagWeights;
  adam: Record<DenseName | "embedding", AdamState>;
  grads: ShardGradients[];
  /** [barrier arrivals, barrier generation, abort flag] */
  control: Int32Array;
  /** Each shard's loss sum over the current epoch. */
  losses: Float64Array;
}

type DenseName = "hiddenWeight" | "hiddenBias" | "outWeight" | "outBias";
const DENSE: readonly { name: DenseName; decay: boolean }[] = [
  { name: "hiddenWeight", decay: true },
  { name: "hiddenBias", decay: false },
  { name: "outWeight", decay: true },
  { name: "outBias", decay: false },
];

const f32 = (length: number) =>
  new Float32Array(new SharedArrayBuffer(4 * Math.max(length, 1))).subarray(0, length);

function shardGradients(w: EmbeddingBagWeights, slots: number): ShardGradients {
  return {
    embedding: f32(slots * w.dim),
    hiddenWeight: f32(w.hiddenWeight?.length ?? 0),
    hiddenBias: f32(w.hiddenBias?.length ?? 0),
    outWeight: f32(w.outWeight.length),
    outBias: f32(w.outBias.length),
    touched: new Int32Array(new SharedArrayBuffer(4 * Math.max(slots, 1))),
    touchedCount: new Int32Array(new SharedArrayBuffer(4)),
    slotOf: new Int32Array(new SharedArrayBuffer(4 * w.buckets)),
  };
}

/** The trainer's view of a shard's buffers (plain data crosses threads; this method does not). */
function sinkOf(g: ShardGradients, dim: number): GradientSink {
  const { touched, touchedCount, slotOf } = g;
  const slots = touched.length;
  return {
    ...g,
    touch(row: number): number {
      let slot = slotOf[row]! - 1;
      if (slot < 0) {
        slot = touchedCount[0]!++;
        if (slot >= slots) throw new Error("training shard: more rows in one step than gradient slots");
        slotOf[row] = slot + 1;
        touched[slot] = row;
      }
      return slot * dim;
    },
  };
}

/** A copy of `a` in shared memory, which another thread reads without a copy of its own. */
export function sharedCopy<T extends Float32Array | Int32Array>(a: T): T {
  const copy = new (a.constructor as new (b: SharedArrayBuffer, at: number, length: number) => T)(
    new SharedArrayBuffer(Math.max(a.byteLength, 8)),
    0,
    a.length,
  );
  copy.set(a);
  return copy;
}

/**
 * Shared state seeded with `initial` weights and zero optimiser moments, for minibatches whose halves
 * touch at most `slots` distinct embedding rows each (gradientSlots below).
 */
export function createSharedTraining(initial: EmbeddingBagWeights, slots: number): SharedTraining {
  const { buckets, dim, hidden, classes } = initial;
  const weights: EmbeddingBagWeights = {
    buckets,
    dim,
    hidden,
    classes,
    embedding: sharedCopy(initial.embedding),
    hiddenWeight: initial.hiddenWeight && sharedCopy(initial.hiddenWeight),
    hiddenBias: initial.hiddenBias && sharedCopy(initial.hiddenBias),
    outWeight: sharedCopy(initial.outWeight),
    outBias: sharedCopy(initial.outBias),
  };
  const moments = (length: number): AdamState => ({ m: f32(length), v: f32(length) });
  return {
    arch: { buckets, dim, hidden, classes },
    weights,
    adam: {
      embedding: moments(weights.embedding.length),
      hiddenWeight: moments(weights.hiddenWeight?.length ?? 0),
      hiddenBias: moments(weights.hiddenBias?.length ?? 0),
      outWeight: moments(weights.outWeight.length),
      outBias: moments(weights.outBias.length),
    },
    grads: Array.from({ length: SHARDS }, () => shardGradients(weights, slots)),
    control: new Int32Array(new SharedArrayBuffer(12)),
    losses: new Float64Array(new SharedArrayBuffer(8 * SHARDS)),
  };
}

/** The most distinct rows one shard's half of a minibatch can touch. */
export function gradientSlots(set: TrainSet, config: TrainConfig, buckets: number): number {
  const longest = set.bags.reduce((m, b) => Math.max(m, b.length), 1);
  return Math.min(buckets, Math.ceil(config.batchSize / 2) * longest);
}

const ARRIVED = 0;
const GENERATION = 1;
const ABORTED = 2;
/** How often a shard checks the barrier before it sleeps on it (about 0.2–0.5 ms on this machine). */
const SPINS = 200_000;
/** How long a shard waits for the other at a barrier before it gives up (a crashed or missing thread). */
const BARRIER_TIMEOUT_MS = 120_000;

/** What a shard throws when the other one failed first (the cause is the other shard's error). */
export const OTHER_SHARD_FAILED = "training shard: the other shard failed";

/** Marks the run as failed so the other shard stops at its next barrier instead of waiting forever. */
export function abortShards(state: SharedTraining): void {
  Atomics.store(state.control, ABORTED, 1);
  Atomics.add(state.control, GENERATION, 1);
  Atomics.notify(state.control, GENERATION);
}

function barrier(control: Int32Array): void {
  const generation = Atomics.load(control, GENERATION);
  if (Atomics.add(control, ARRIVED, 1) === SHARDS - 1) {
    Atomics.store(control, ARRIVED, 0);
    Atomics.add(control, GENERATION, 1);
    Atomics.notify(control, GENERATION);
  } else {
    // Spin (the halves usually finish within a fraction of a millisecond of each other), then sleep.
    // A futex wake-up costs more than that spin: 4,000 spins instead of SPINS made a student's sharded
    // training 6–8% slower on this 2-core machine (3 × CLINC150, measured side by side, load 10).
    for (let i = 0; i < SPINS && Atomics.load(control, GENERATION) === generation; i++);
    const started = Date.now();
    while (Atomics.load(control, GENERATION) === generation) {
      Atomics.wait(control, GENERATION, generation, 1000);
      if (Date.now() - started > BARRIER_TIMEOUT_MS)
        throw new Error("training shard: the other shard stopped");
    }
  }
  if (Atomics.load(control, ABORTED)) throw new Error(OTHER_SHARD_FAILED);
}

/**
 * Runs one shard's side of the whole training. Both shards call it with the same set and config;
 * shard 0 reports each epoch (after both finished it, before either starts the next).
 */
export function runShard(
  shard: number,
  state: SharedTraining,
  set: TrainSet,
  config: TrainConfig,
  onEpoch: (report: EpochReport, weights: EmbeddingBagWeights) => void = () => {},
): void {
  if (config.featureDropout > 0) throw new Error("sharded training does not support feature dropout");
  const { weights: w, control, losses } = state;
  const mine = state.grads[shard]!;
  const sink = sinkOf(mine, w.dim);
  const adam: AdamConfig = { ...DEFAULT_ADAM, lr: config.lr, weightDecay: config.weightDecay };
  const example = new ExampleStep(w, config.loss);
  const targets = teacherTargets(set, config.loss);
  const n = set.bags.length;
  let lossSum = 0;

  // Both shards draw the same shuffles from the same seed, so they agree on every minibatch.
  forEachMinibatch(
    config,
    n,
    mulberry32(config.seed ^ 0x5bd1e995),
    ({ order, start, end, scale, step, lr }) => {
      const middle = start + Math.ceil((end - start) / 2);
      for (let b = shard === 0 ? start : middle; b < (shard === 0 ? middle : end); b++) {
        const i = order[b]!;
        const bag = set.bags[i]!;
        const weight = set.weights ? set.weights[i]! : 1;
        const teacher = set.teacherLogits?.[i] ?? null;
        lossSum += example.run(
          bag,
          bag.length,
          set.labels[i]!,
          weight,
          teacher,
          scale,
          sink,
          targets?.[i] ?? null,
        );
      }
      barrier(control);
      applyShare(shard, state, adam, step, lr);
      barrier(control);
      mine.touchedCount[0] = 0;
    },
    (epoch) => {
      losses[shard] = lossSum;
      lossSum = 0;
      barrier(control);
      if (shard === 0) onEpoch({ epoch, loss: (losses[0]! + losses[1]!) / n }, w);
      barrier(control);
    },
  );
}

/** Sums both shards' gradients and applies AdamW to this shard's share of the parameters. */
function applyShare(shard: number, state: SharedTraining, adam: AdamConfig, step: number, lr: number): void {
  const { weights: w, grads } = state;
  const [first, second] = grads as [ShardGradients, ShardGradients];
  const s = stepScalars(adam, step, lr);
  const { dim, embedding } = w;
  const moments = state.adam.embedding;
  // Rows of this shard's parity that either shard touched, each once, shard 0's gradient first.
  for (let t = 0; t < first.touchedCount[0]!; t++) {
    const row = first.touched[t]!;
    if ((row & 1) !== shard) continue;
    const other = second.slotOf[row]! - 1;
    const otherGrad = other < 0 ? null : second.embedding;
    adamRowUpdate(
      adam,
      s,
      embedding,
      moments,
      row * dim,
      dim,
      first.embedding,
      t * dim,
      otherGrad,
      other * dim,
    );
  }
  for (let t = 0; t < second.touchedCount[0]!; t++) {
    const row = second.touched[t]!;
    if ((row & 1) === shard && first.slotOf[row] === 0)
      adamRowUpdate(adam, s, embedding, moments, row * dim, dim, second.embedding, t * dim, null, 0);
  }
  for (const g of grads) {
    for (let t = 0; t < g.touchedCount[0]!; t++) {
      const row = g.touched[t]!;
      if ((row & 1) === shard) {
        first.slotOf[row] = 0;
        second.slotOf[row] = 0;
      }
    }
  }
  for (const { name, decay } of DENSE) {
    const param = w[name];
    if (!param) continue;
    const half = Math.ceil(param.length / 2);
    const from = shard === 0 ? 0 : half;
    const to = shard === 0 ? half : param.length;
    adamUpdateOfSum(
      adam,
      decay ? s : { ...s, decay: 1 },
      param,
      first[name],
      second[name],
      state.adam[name],
      from,
      to,
    );
  }
}

/** The trained weights copied out of shared memory into plain arrays. */
export function weightsOf(state: SharedTraining): EmbeddingBagWeights {
  const w = state.weights;
  const copy = (a: Float32Array | null) => (a ? new Float32Array(a) : null);
  return {
    ...state.arch,
    embedding: new Float32Array(w.embedding),
    hiddenWeight: copy(w.hiddenWeight),
    hiddenBias: copy(w.hiddenBias),
    outWeight: new Float32Array(w.outWeight),
    outBias: new Float32Array(w.outBias),
  };
}
