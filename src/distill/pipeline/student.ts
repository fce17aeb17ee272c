import type { FeaturizerConfig } from "../../core/featurizer.ts";
import { featurize } from "../../core/featurizer.ts";
import { type EmbeddingBagWeights, type Ensemble, ensembleLogits } from "../../core/model.ts";
import { argmax } from "../../core/softmax.ts";
import type { Dataset } from "../data/index.ts";
import { augmentTexts, DEFAULT_AUGMENT } from "../train/augment.ts";
import { train } from "../train/trainer.ts";
import { type DistillOptions, featurizerFor } from "./config.ts";
import { encodeSplit } from "./encode.ts";
import { accuracy } from "./member-job.ts";
import type { Progress } from "./progress.ts";
import { trainConfig } from "./teacher.ts";

export interface TeacherForStudent {
  members: Ensemble;
  featurizer: FeaturizerConfig;
  trainLogits: Float32Array[];
}

/**
 * Distils the student from the teacher: α·CE(hard) + (1−α)·T²·KL(teacher_T ‖ student_T), see
 * train/loss.ts, over the training texts and `augment` teacher-labelled perturbed copies of each.
 */
export function trainStudent(
  dataset: Dataset,
  teacher: TeacherForStudent,
  options: DistillOptions,
  progress: Progress,
): { weights: EmbeddingBagWeights; featurizer: FeaturizerConfig } {
  const recipe = options.student;
  const classes = dataset.labels.length;
  const featurizer = featurizerFor(recipe, options.seed);
  const trainSplit = encodeSplit(dataset.train, dataset.labels, featurizer);
  const val = encodeSplit(dataset.val, dataset.labels, featurizer);
  const extra = augmentTexts(
    dataset.train.map((e) => e.text),
    { ...DEFAULT_AUGMENT, copies: options.augment, seed: options.seed },
  );
  const extraLogits = extra.map((text) => {
    const out = new Float32Array(classes);
    ensembleLogits(teacher.members, featurize(text, teacher.featurizer), out);
    return out;
  });
  const arch = { buckets: recipe.buckets, dim: recipe.dim, hidden: recipe.hidden, classes };
  const config = {
    ...trainConfig(recipe, options.seed * 1000 + 999),
    loss: {
      alpha: options.kd.alpha,
      temperature: options.kd.temperature,
      labelSmoothing: recipe.labelSmoothing,
    },
  };
  progress.stage(
    `student: distilling at T=${options.kd.temperature}, α=${options.kd.alpha} from ${trainSplit.bags.length} texts + ${extra.length} augmented`,
  );
  const bar = progress.epochs("student", recipe.epochs);
  const weights = train(
    arch,
    {
      bags: [...trainSplit.bags, ...extra.map((text) => featurize(text, featurizer))],
      // Augmented texts have no gold label: the teacher's answer stands in for it.
      labels: Int32Array.from([...trainSplit.labels, ...extraLogits.map((z) => argmax(z))]),
      teacherLogits: [...teacher.trainLogits, ...extraLogits],
      weights: null,
    },
    config,
    (report, w) => bar.update(report.epoch, report.loss, accuracy(w, val.bags, val.labels)),
  );
  return { weights, featurizer };
}
