import type { FeaturizerConfig } from "../../core/featurizer.ts";
import { featurize } from "../../core/featurizer.ts";
import type { EmbeddingBagWeights, Ensemble } from "../../core/model.ts";
import { argmax } from "../../core/softmax.ts";
import type { Dataset } from "../data/index.ts";
import { augmentWithSources, DEFAULT_AUGMENT } from "../train/augment.ts";
import { type DistillOptions, featurizerFor } from "./config.ts";
import { encodeSplit } from "./encode.ts";
import { trainConfig } from "./ensemble.ts";
import { ensembleLogitsOnThreads } from "./parallel-logits.ts";
import { trainOnShards } from "./parallel-train.ts";
import type { Progress } from "./progress.ts";

export interface TeacherForStudent {
  members: Ensemble;
  featurizer: FeaturizerConfig;
  /** The teacher's logits on dataset.train, in order. */
  trainLogits: Float32Array[];
}

/**
 * Examples beyond the data set's training split whose targets are already known, e.g. logged hard
 * examples with the distribution the remote teacher answered (see merge.ts): no teacher forward pass.
 */
export interface ExtraExamples {
  texts: string[];
  /** Hard label of the CE term (the teacher's label). */
  labels: Int32Array;
  /** KD targets as logits (merge.ts targetLogits); null for the CE term alone (a label, no distribution). */
  logits: (Float32Array | null)[];
  weights: Float32Array;
}

/**
 * Distils the student: α·CE(hard) + (1−α)·T²·KL(teacher_T ‖ student_T), see train/loss.ts, over the
 * training texts, any extra examples, and `augment` perturbed copies of all of them. With a teacher
 * package, it gives the training texts' and the copies' targets. Without one (the teacher is remote and
 * only its logged answers are known), training texts learn their gold label and each copy inherits the
 * target of the text it was made from.
 */
export async function trainStudent(
  dataset: Dataset,
  teacher: TeacherForStudent | null,
  options: DistillOptions,
  progress: Progress,
  extra: ExtraExamples | null = null,
): Promise<{ weights: EmbeddingBagWeights; featurizer: FeaturizerConfig }> {
  const recipe = options.student;
  const classes = dataset.labels.length;
  const featurizer = featurizerFor(recipe, options.seed);
  const trainSplit = encodeSplit(dataset.train, dataset.labels, featurizer);
  const val = encodeSplit(dataset.val, dataset.labels, featurizer);
  const extraTexts = extra?.texts ?? [];
  const sources = {
    labels: Int32Array.from([...trainSplit.labels, ...(extra?.labels ?? [])]),
    logits: [...(teacher?.trainLogits ?? trainSplit.bags.map(() => null)), ...(extra?.logits ?? [])],
  };
  const augmented = augmentWithSources([...dataset.train.map((e) => e.text), ...extraTexts], {
    ...DEFAULT_AUGMENT,
    copies: options.augment,
    seed: options.seed,
  });
  const augmentedLogits = teacher
    ? await ensembleLogitsOnThreads(
        teacher.members,
        augmented.map(({ text }) => featurize(text, teacher.featurizer)),
      )
    : augmented.map(({ source }) => sources.logits[source]!);
  const arch = { buckets: recipe.buckets, dim: recipe.dim, hidden: recipe.hidden, classes };
  const config = {
    ...trainConfig(recipe, options.seed * 1000 + 999),
    loss: {
      alpha: options.kd.alpha,
      temperature: options.kd.temperature,
      labelSmoothing: recipe.labelSmoothing,
    },
  };
  const logged = extraTexts.length > 0 ? ` + ${extraTexts.length} logged` : "";
  progress.stage(
    `student: distilling at T=${options.kd.temperature}, α=${options.kd.alpha} from ${trainSplit.bags.length} texts${logged} + ${augmented.length} augmented`,
  );
  const bar = progress.epochs("student", recipe.epochs);
  const n = trainSplit.bags.length + extraTexts.length + augmented.length;
  const sourceWeight = (j: number) => (j >= 0 && j < extraTexts.length ? extra!.weights[j]! : 1);
  // Null when every weight is 1, which keeps the plain path (and its numbers) as it was.
  const weights = extra?.weights.some((w) => w !== 1)
    ? Float32Array.from({ length: n }, (_, i) => {
        const copy = i - trainSplit.bags.length - extraTexts.length;
        // A copy weighs what its source does when the copies inherit their source's target.
        if (copy >= 0 && !teacher) return sourceWeight(augmented[copy]!.source - trainSplit.bags.length);
        return sourceWeight(i - trainSplit.bags.length);
      })
    : null;
  const trained = await trainOnShards(
    arch,
    {
      bags: [
        ...trainSplit.bags,
        ...extraTexts.map((text) => featurize(text, featurizer)),
        ...augmented.map(({ text }) => featurize(text, featurizer)),
      ],
      // Augmented texts have no gold label: the teacher's answer (or their source's label) stands in.
      labels: Int32Array.from([
        ...sources.labels,
        ...augmented.map(({ source }, i) =>
          teacher ? argmax(augmentedLogits[i]!) : sources.labels[source]!,
        ),
      ]),
      teacherLogits: [...sources.logits, ...augmentedLogits],
      weights,
    },
    config,
    (report, valAccuracy) => bar.update(report.epoch, report.loss, valAccuracy),
    { ...val, shown: progress.showsAccuracy },
  );
  return { weights: trained, featurizer };
}
