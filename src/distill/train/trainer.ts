import type { EmbeddingBagWeights } from "../../core/model.ts";
import { affine, headInputSize } from "../../core/model.ts";
import { mulberry32, shuffleInPlace } from "../../core/random.ts";
import { type AdamConfig, AdamState, adamUpdate, DEFAULT_ADAM, stepScalars } from "./adam.ts";
import {
  createLossScratch,
  distillationLoss,
  type LossConfig,
  type TeacherTarget,
  teacherTarget,
} from "./loss.ts";

export interface Architecture {
  buckets: number;
  dim: number;
  hidden: number;
  classes: number;
}

/** Training examples as bags of feature ids; teacher logits turn plain training into distillation. */
export interface TrainSet {
  bags: Int32Array[];
  labels: Int32Array;
  /** Per-example teacher logits (length classes each), or null for hard labels only (all or one). */
  teacherLogits: (Float32Array | null)[] | null;
  /** Per-example weights (e.g. class re-weighting), default 1. */
  weights: Float32Array | null;
}

export interface TrainConfig {
  epochs: number;
  batchSize: number;
  lr: number;
  weightDecay: number;
  /** Linear decay of the learning rate to zero over training, as fastText does. */
  decay: boolean;
  seed: number;
  loss: LossConfig;
  /** Probability of dropping each feature id from a bag during training (feature dropout). */
  featureDropout: number;
}

export interface EpochReport {
  epoch: number;
  loss: number;
}

export function initWeights(arch: Architecture, seed: number): EmbeddingBagWeights {
  const rng = mulberry32(seed);
  const uniform = (size: number, bound: number): Float32Array => {
    const a = new Float32Array(size);
    for (let i = 0; i < size; i++) a[i] = (rng() * 2 - 1) * bound;
    return a;
  };
  const { buckets, dim, hidden, classes } = arch;
  const headIn = hidden > 0 ? hidden : dim;
  return {
    ...arch,
    embedding: uniform(buckets * dim, 1 / Math.sqrt(dim)),
    hiddenWeight: hidden > 0 ? uniform(dim * hidden, Math.sqrt(6 / dim)) : null,
    hiddenBias: hidden > 0 ? new Float32Array(hidden) : null,
    outWeight: uniform(headIn * classes, Math.sqrt(1 / headIn)),
    outBias: new Float32Array(classes),
  };
}

/** Where one example's gradients accumulate: dense buffers, plus the embedding rows touched. */
export interface GradientSink {
  /** Embedding gradients, dim per touched row, at the offset touch() gives for the row. */
  readonly embedding: Float32Array;
  readonly hiddenWeight: Float32Array;
  readonly hiddenBias: Float32Array;
  readonly outWeight: Float32Array;
  readonly outBias: Float32Array;
  /** Records that the row has a gradient this step; returns where the row's gradient starts in `embedding`. */
  touch(row: number): number;
}

/** Gradient buffers; the embedding gradient is dense in memory but only touched rows are visited. */
class Gradients implements GradientSink {
  readonly embedding: Float32Array;
  readonly touched: Int32Array;
  touchedCount = 0;
  readonly isTouched: Uint8Array;
  readonly hiddenWeight: Float32Array;
  readonly hiddenBias: Float32Array;
  readonly outWeight: Float32Array;
  readonly outBias: Float32Array;
  private readonly dim: number;

  constructor(w: EmbeddingBagWeights) {
    this.dim = w.dim;
    this.embedding = new Float32Array(w.embedding.length);
    this.touched = new Int32Array(w.buckets);
    this.isTouched = new Uint8Array(w.buckets);
    this.hiddenWeight = new Float32Array(w.hiddenWeight?.length ?? 0);
    this.hiddenBias = new Float32Array(w.hiddenBias?.length ?? 0);
    this.outWeight = new Float32Array(w.outWeight.length);
    this.outBias = new Float32Array(w.outBias.length);
  }

  touch(row: number): number {
    if (!this.isTouched[row]) {
      this.isTouched[row] = 1;
      this.touched[this.touchedCount++] = row;
    }
    return row * this.dim;
  }
}

class Optimiser {
  private readonly embedding: AdamState;
  private readonly hiddenWeight: AdamState;
  private readonly hiddenBias: AdamState;
  private readonly outWeight: AdamState;
  private readonly outBias: AdamState;
  constructor(
    private readonly config: AdamConfig,
    w: EmbeddingBagWeights,
  ) {
    this.embedding = new AdamState(w.embedding.length);
    this.hiddenWeight = new AdamState(w.hiddenWeight?.length ?? 0);
    this.hiddenBias = new AdamState(w.hiddenBias?.length ?? 0);
    this.outWeight = new AdamState(w.outWeight.length);
    this.outBias = new AdamState(w.outBias.length);
  }

  apply(w: EmbeddingBagWeights, g: Gradients, step: number, lr: number): void {
    const s = stepScalars(this.config, step, lr);
    const noDecay = { ...s, decay: 1 };
    const dim = w.dim;
    for (let t = 0; t < g.touchedCount; t++) {
      const row = g.touched[t]!;
      g.isTouched[row] = 0;
      adamUpdate(this.config, s, w.embedding, g.embedding, this.embedding, row * dim, row * dim + dim);
    }
    g.touchedCount = 0;
    if (w.hiddenWeight && w.hiddenBias) {
      adamUpdate(this.config, s, w.hiddenWeight, g.hiddenWeight, this.hiddenWeight);
      adamUpdate(this.config, noDecay, w.hiddenBias, g.hiddenBias, this.hiddenBias);
    }
    adamUpdate(this.config, s, w.outWeight, g.outWeight, this.outWeight);
    adamUpdate(this.config, noDecay, w.outBias, g.outBias, this.outBias);
  }
}

/** Forward and backward for one example; accumulates gradients and returns the loss. */
export class ExampleStep {
  private readonly pooled: Float32Array;
  private readonly hiddenAct: Float32Array;
  private readonly logits: Float32Array;
  private readonly gLogits: Float32Array;
  private readonly gHead: Float32Array;
  private readonly gPooled: Float32Array;
  private readonly lossScratch;

  constructor(
    private readonly w: EmbeddingBagWeights,
    private readonly loss: LossConfig,
  ) {
    this.pooled = new Float32Array(w.dim);
    this.hiddenAct = new Float32Array(Math.max(1, w.hidden));
    this.logits = new Float32Array(w.classes);
    this.gLogits = new Float32Array(w.classes);
    this.gHead = new Float32Array(headInputSize(w));
    this.gPooled = new Float32Array(w.dim);
    this.lossScratch = createLossScratch(w.classes);
  }

  run(
    ids: Int32Array,
    n: number,
    label: number,
    weight: number,
    teacher: Float32Array | null,
    scale: number,
    g: GradientSink,
    target: TeacherTarget | null = null,
  ): number {
    const { w, pooled, hiddenAct, logits } = this;
    const { dim, hidden, classes, embedding } = w;
    // h0 = mean of embedding rows
    pooled.fill(0);
    for (let i = 0; i < n; i++) {
      const row = ids[i]! * dim;
      for (let j = 0; j < dim; j++) pooled[j]! += embedding[row + j]!;
    }
    const inv = n > 0 ? 1 / n : 0;
    for (let j = 0; j < dim; j++) pooled[j]! *= inv;
    const head = hidden > 0 ? hiddenAct : pooled;
    if (hidden > 0) dense(pooled, w.hiddenWeight!, w.hiddenBias!, hiddenAct, true);
    dense(head, w.outWeight, w.outBias, logits, false);

    const loss = distillationLoss(
      this.loss,
      logits,
      label,
      weight,
      teacher,
      this.gLogits,
      scale,
      this.lossScratch,
      target,
    );

    // Output layer: dW2 += head ⊗ gz, db2 += gz, gHead = W2 · gz
    const gz = this.gLogits;
    backDense(head, w.outWeight, gz, g.outWeight, g.outBias, this.gHead, classes);
    let gPooled = this.gHead;
    if (hidden > 0) {
      for (let j = 0; j < hidden; j++) if (hiddenAct[j]! <= 0) this.gHead[j] = 0;
      backDense(pooled, w.hiddenWeight!, this.gHead, g.hiddenWeight, g.hiddenBias, this.gPooled, hidden);
      gPooled = this.gPooled;
    }
    // Embedding rows: each occurrence receives gPooled / n.
    for (let i = 0; i < n; i++) {
      const at = g.touch(ids[i]!);
      for (let j = 0; j < dim; j++) g.embedding[at + j]! += gPooled[j]! * inv;
    }
    return loss;
  }
}

/** Gradients of one example's loss with respect to every parameter (same layout as the weights). */
export interface ExampleGradients {
  loss: number;
  embedding: Float32Array;
  /** Embedding rows that received a gradient, in first-seen order. */
  touchedRows: number[];
  hiddenWeight: Float32Array;
  hiddenBias: Float32Array;
  outWeight: Float32Array;
  outBias: Float32Array;
}

/**
 * Loss and gradients for one example (the whole bag, no feature dropout), computed by the same
 * forward and backward pass a training step uses. For gradient checks.
 */
export function exampleGradients(
  w: EmbeddingBagWeights,
  loss: LossConfig,
  ids: Int32Array,
  label: number,
  weight = 1,
  teacher: Float32Array | null = null,
): ExampleGradients {
  const g = new Gradients(w);
  const value = new ExampleStep(w, loss).run(ids, ids.length, label, weight, teacher, 1, g);
  return {
    loss: value,
    embedding: g.embedding,
    touchedRows: Array.from(g.touched.subarray(0, g.touchedCount)),
    hiddenWeight: g.hiddenWeight,
    hiddenBias: g.hiddenBias,
    outWeight: g.outWeight,
    outBias: g.outBias,
  };
}

/** y = x·W + b (core's affine, the serving forward pass), optionally ReLU. */
function dense(
  x: Float32Array,
  weight: Float32Array,
  bias: Float32Array,
  y: Float32Array,
  relu: boolean,
): void {
  affine(x, weight, bias, y);
  if (relu) for (let j = 0; j < y.length; j++) if (y[j]! < 0) y[j] = 0;
}

/** Backward of y = x·W + b given gy: gW += x ⊗ gy, gb += gy, gx = W · gy. */
function backDense(
  x: Float32Array,
  weight: Float32Array,
  gy: Float32Array,
  gW: Float32Array,
  gb: Float32Array,
  gx: Float32Array,
  cols: number,
): void {
  for (let j = 0; j < cols; j++) gb[j]! += gy[j]!;
  for (let i = 0; i < x.length; i++) {
    const xi = x[i]!;
    const row = i * cols;
    let acc = 0;
    for (let j = 0; j < cols; j++) {
      const gj = gy[j]!;
      gW[row + j]! += xi * gj;
      acc += weight[row + j]! * gj;
    }
    gx[i] = acc;
  }
}

/** One optimiser step's slice of the shuffled order, and the learning rate the step applies. */
export interface Minibatch {
  /** Shuffled example indices; this step's examples are order[start, end). */
  order: Int32Array;
  start: number;
  end: number;
  /** 1 / batch size: each example's share of the step's gradient. */
  scale: number;
  /** Optimiser step, from 1 (AdamW's bias correction counts from it). */
  step: number;
  lr: number;
}

/**
 * The epoch and minibatch schedule every trainer follows, whatever computes a step: an epoch shuffles
 * the order with `rng`, then each minibatch runs `step` at the learning rate of a linear decay to zero
 * (fastText's) when config.decay, then `endEpoch` runs.
 * train() below is the one-thread case; shards.ts runs the same schedule on two threads.
 */
export function forEachMinibatch(
  config: Pick<TrainConfig, "epochs" | "batchSize" | "lr" | "decay">,
  n: number,
  rng: () => number,
  step: (batch: Minibatch) => void,
  endEpoch: (epoch: number) => void,
): void {
  const order = Int32Array.from({ length: n }, (_, i) => i);
  const totalSteps = config.epochs * Math.ceil(n / config.batchSize);
  let stepIndex = 0;
  for (let epoch = 1; epoch <= config.epochs; epoch++) {
    shuffleInPlace(order, rng);
    for (let start = 0; start < n; start += config.batchSize) {
      const end = Math.min(n, start + config.batchSize);
      const lr = config.decay ? config.lr * (1 - stepIndex / totalSteps) : config.lr;
      stepIndex++;
      step({ order, start, end, scale: 1 / (end - start), step: stepIndex, lr });
    }
    endEpoch(epoch);
  }
}

/** Trains one model with minibatch AdamW on this thread; deterministic for a given seed. */
export function train(
  arch: Architecture,
  set: TrainSet,
  config: TrainConfig,
  onEpoch: (report: EpochReport, weights: EmbeddingBagWeights) => void = () => {},
  initial: EmbeddingBagWeights = initWeights(arch, config.seed),
): EmbeddingBagWeights {
  const w = initial;
  // One stream for the shuffles and the feature dropout, in the order they have always been drawn.
  const rng = mulberry32(config.seed ^ 0x5bd1e995);
  const grads = new Gradients(w);
  const optimiser = new Optimiser({ ...DEFAULT_ADAM, lr: config.lr, weightDecay: config.weightDecay }, w);
  const example = new ExampleStep(w, config.loss);
  const maxBag = set.bags.reduce((m, b) => Math.max(m, b.length), 1);
  const kept = new Int32Array(maxBag);
  const targets = teacherTargets(set, config.loss);
  const n = set.bags.length;
  let lossSum = 0;

  forEachMinibatch(
    config,
    n,
    rng,
    ({ order, start, end, scale, step, lr }) => {
      for (let b = start; b < end; b++) {
        const i = order[b]!;
        const bag = set.bags[i]!;
        const count = dropFeatures(bag, config.featureDropout, rng, kept);
        const weight = set.weights ? set.weights[i]! : 1;
        const teacher = set.teacherLogits?.[i] ?? null;
        const target = targets?.[i] ?? null;
        lossSum += example.run(kept, count, set.labels[i]!, weight, teacher, scale, grads, target);
      }
      optimiser.apply(w, grads, step, lr);
    },
    (epoch) => {
      onEpoch({ epoch, loss: lossSum / n }, w);
      lossSum = 0;
    },
  );
  return w;
}

/** The KD term's teacher side of every example, once for all epochs (null when there is no KD term). */
export function teacherTargets(set: TrainSet, loss: LossConfig): (TeacherTarget | null)[] | null {
  if (!set.teacherLogits || loss.alpha >= 1) return null;
  return set.teacherLogits.map((t) => (t ? teacherTarget(t, loss.temperature) : null));
}

/** Copies the bag into `out`, dropping each id with probability p but always keeping at least one. */
function dropFeatures(bag: Int32Array, p: number, rng: () => number, out: Int32Array): number {
  if (p <= 0 || bag.length <= 1) {
    out.set(bag);
    return bag.length;
  }
  let count = 0;
  for (let i = 0; i < bag.length; i++) if (rng() >= p) out[count++] = bag[i]!;
  if (count === 0) out[count++] = bag[Math.floor(rng() * bag.length)]!;
  return count;
}
