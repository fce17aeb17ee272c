import { type EmbeddingBagWeights, type Ensemble, forwardLogits } from "../../core/model.ts";
import type { Dataset } from "../data/index.ts";
import { applyOutOfScopeBias, chooseOutOfScopeBias, type OosBiasChoice } from "../train/out-of-scope.ts";
import type { TrainConfig } from "../train/trainer.ts";
import { type DistillOptions, featurizerFor } from "./config.ts";
import { type EncodedSplit, encodeSplit } from "./encode.ts";
import { ensembleLogitsOnThreads } from "./parallel-logits.ts";
import { trainTwo } from "./parallel-members.ts";
import { trainOnShards } from "./parallel-train.ts";
import type { Progress } from "./progress.ts";
import type { OnEpoch } from "./threads.ts";

export interface TrainedEnsemble {
  members: Ensemble;
  featurizer: ReturnType<typeof featurizerFor>;
  oosBias: OosBiasChoice | null;
  /** Ensemble logits (log mean probability) per split, for distillation and routing. */
  logits: { train: Float32Array[]; val: Float32Array[] };
}

export function trainConfig(recipe: DistillOptions["teacher"], seed: number): TrainConfig {
  return {
    epochs: recipe.epochs,
    batchSize: recipe.batchSize,
    lr: recipe.lr,
    weightDecay: recipe.weightDecay,
    decay: true,
    seed,
    loss: { alpha: 1, temperature: 1, labelSmoothing: recipe.labelSmoothing },
    featureDropout: 0,
  };
}

/** Trains the teacher ensemble (members in parallel threads) and corrects its out-of-scope prior. */
export async function trainEnsemble(
  dataset: Dataset,
  options: DistillOptions,
  progress: Progress,
): Promise<TrainedEnsemble> {
  const recipe = options.teacher;
  const featurizer = featurizerFor(recipe, options.seed);
  const train = encodeSplit(dataset.train, dataset.labels, featurizer);
  const val = encodeSplit(dataset.val, dataset.labels, featurizer);
  const arch = {
    buckets: recipe.buckets,
    dim: recipe.dim,
    hidden: recipe.hidden,
    classes: dataset.labels.length,
  };
  progress.stage(`teacher: ${recipe.members} members, ${train.bags.length} training texts`);
  const set = { bags: train.bags, labels: train.labels, teacherLogits: null, weights: null };
  const members: EmbeddingBagWeights[] = [];
  const configOf = (m: number) => trainConfig(recipe, options.seed * 1000 + m + 1);
  const barOf = (m: number): OnEpoch => {
    const bar = progress.epochs(`teacher ${m + 1}/${recipe.members}`, recipe.epochs);
    return (e, valAccuracy) => bar.update(e.epoch, e.loss, valAccuracy);
  };
  // Two members at a time, one per core, never waiting for each other (parallel-members.ts); an odd
  // one out trains on both cores (parallel-train.ts), which meet twice per minibatch.
  const validation = { ...val, shown: progress.showsAccuracy };
  for (let m = 0; m < recipe.members; m += 2) {
    if (m + 1 < recipe.members) {
      const configs = [configOf(m), configOf(m + 1)] as const;
      members.push(...(await trainTwo(arch, set, configs, [barOf(m), barOf(m + 1)], validation)));
    } else {
      members.push(await trainOnShards(arch, set, configOf(m), barOf(m), validation));
    }
  }

  let oosBias: OosBiasChoice | null = null;
  const oosIndex = dataset.outOfScopeLabel ? dataset.labels.indexOf(dataset.outOfScopeLabel) : -1;
  if (oosIndex >= 0) {
    const memberLogits = members.map((m) =>
      logitsOf(val, (ids, out) => forwardLogits(m, ids, out), arch.classes),
    );
    oosBias = chooseOutOfScopeBias(memberLogits, val.labels, oosIndex, options.oosMaxInScopeDrop);
    applyOutOfScopeBias(members, oosIndex, oosBias.bias);
    progress.stage(
      `teacher: out-of-scope bias ${oosBias.bias.toFixed(1)} (val in-scope ${pct(oosBias.inScopeAccuracy)}, oos recall ${pct(oosBias.oosRecall)})`,
    );
  }
  const logits = await ensembleLogitsOnThreads(members, [...train.bags, ...val.bags]);
  return {
    members,
    featurizer,
    oosBias,
    logits: { train: logits.slice(0, train.bags.length), val: logits.slice(train.bags.length) },
  };
}

export function logitsOf(
  split: Pick<EncodedSplit, "bags">,
  forward: (ids: Int32Array, out: Float32Array) => void,
  classes: number,
): Float32Array[] {
  return split.bags.map((ids) => {
    const out = new Float32Array(classes);
    forward(ids, out);
    return out;
  });
}

const pct = (x: number) => `${(100 * x).toFixed(1)}%`;
