import type { EmbeddingBagWeights } from "../../core/model.ts";
import type { Dataset } from "../data/index.ts";
import { train } from "../train/trainer.ts";
import { type DistillOptions, featurizerFor } from "./config.ts";
import { encodeSplit } from "./encode.ts";
import { accuracy } from "./member-job.ts";
import type { Progress } from "./progress.ts";
import { trainConfig } from "./teacher.ts";

/**
 * Distils the student from the teacher's logits on the training texts:
 * α·CE(hard) + (1−α)·T²·KL(teacher_T ‖ student_T), see train/loss.ts.
 */
export function trainStudent(
  dataset: Dataset,
  teacherTrainLogits: Float32Array[],
  options: DistillOptions,
  progress: Progress,
): { weights: EmbeddingBagWeights; featurizer: ReturnType<typeof featurizerFor> } {
  const recipe = options.student;
  const featurizer = featurizerFor(recipe, options.seed);
  const trainSplit = encodeSplit(dataset.train, dataset.labels, featurizer);
  const val = encodeSplit(dataset.val, dataset.labels, featurizer);
  const arch = {
    buckets: recipe.buckets,
    dim: recipe.dim,
    hidden: recipe.hidden,
    classes: dataset.labels.length,
  };
  const config = {
    ...trainConfig(recipe, options.seed * 1000 + 999),
    loss: {
      alpha: options.kd.alpha,
      temperature: options.kd.temperature,
      labelSmoothing: recipe.labelSmoothing,
    },
  };
  progress.stage(`student: distilling at T=${options.kd.temperature}, α=${options.kd.alpha}`);
  const bar = progress.epochs("student", recipe.epochs);
  const weights = train(
    arch,
    { bags: trainSplit.bags, labels: trainSplit.labels, teacherLogits: teacherTrainLogits, weights: null },
    config,
    (report, w) => bar.update(report.epoch, report.loss, accuracy(w, val.bags, val.labels)),
  );
  return { weights, featurizer };
}
