import type { Ensemble } from "../../core/model.ts";
import { readEnsembleWeights } from "../../core/onnx-weights.ts";
import type { Dataset } from "../data/index.ts";
import type { TeacherPackage } from "../package/teacher.ts";
import type { DistillOptions } from "./config.ts";
import { encodeSplit } from "./encode.ts";
import { type LoggedExample, targetLogits } from "./merge.ts";
import { ensembleLogitsOnThreads } from "./parallel-logits.ts";
import type { Progress } from "./progress.ts";
import { type DistillResult, shipStudent } from "./ship.ts";
import { trainStudent } from "./student.ts";
import { alignToTeacher } from "./teacher-package.ts";

export interface RedistillInputs {
  dataset: Dataset;
  teacher: TeacherPackage;
  /** Logged hard examples (merge.ts): their KD target is the distribution the teacher answered. */
  logged: readonly LoggedExample[];
  options: DistillOptions;
  version: string;
  /** Extra manifest.training fields: where the logged examples came from, merge counts. */
  training: Record<string, unknown>;
}

/**
 * A new student from an existing teacher package: no teacher training. Base examples keep their gold
 * labels and learn from the package teacher's logits, as in a full distillation; logged examples learn
 * from what the serving teacher actually answered, which was paid for once and is not recomputed.
 * Then the same shipping steps as a full distillation (ship.ts).
 */
export async function redistill(inputs: RedistillInputs, progress: Progress): Promise<DistillResult> {
  try {
    const started = performance.now();
    const { teacher, logged, options } = inputs;
    const dataset = alignToTeacher(inputs.dataset, teacher.manifest);
    progress.stage(`teacher: reusing ${teacher.dir} (version ${teacher.manifest.version})`);
    const members: Ensemble = readEnsembleWeights(teacher.onnx);
    const featurizer = teacher.manifest.featurizer;
    const trainBags = encodeSplit(dataset.train, dataset.labels, featurizer);
    const trainLogits = await ensembleLogitsOnThreads(members, trainBags.bags);
    const student = await trainStudent(dataset, { members, featurizer, trainLogits }, options, progress, {
      texts: logged.map((e) => e.text),
      labels: Int32Array.from(logged, (e) => e.label),
      logits: logged.map((e) => targetLogits(e.target)),
      weights: Float32Array.from(logged, (e) => e.weight),
    });
    return await shipStudent(
      {
        dataset,
        student,
        teacher: { manifest: teacher.manifest, onnx: teacher.onnx },
        options,
        version: inputs.version,
        training: {
          teacher: {
            package: teacher.dir,
            version: teacher.manifest.version,
            sha256: teacher.manifest.onnx.sha256,
          },
          logged: logged.length,
          ...inputs.training,
        },
        started,
      },
      progress,
    );
  } finally {
    progress.done();
  }
}
