import type { TeacherManifest } from "../../core/manifest.ts";
import type { Dataset } from "../data/index.ts";
import { exportOnnx } from "../onnx/export.ts";
import { TEACHER_FILE } from "../package/files.ts";
import type { DistillOptions } from "./config.ts";
import { trainEnsemble } from "./ensemble.ts";
import type { Progress } from "./progress.ts";
import { type DistillResult, onnxSpec, shipStudent } from "./ship.ts";
import { trainStudent } from "./student.ts";

export type { DistillResult } from "./ship.ts";

/**
 * The whole toolkit in one call: train the teacher, distil the student, export both, then the shared
 * shipping steps (ship.ts): calibrate, route, evaluate the package as shipped, write it with its report.
 * redistill.ts is the other entry: a new student from an existing teacher package and logged examples.
 */
export async function distill(
  dataset: Dataset,
  options: DistillOptions,
  progress: Progress,
  provenance: Record<string, unknown>,
): Promise<DistillResult> {
  try {
    return await distillSteps(dataset, options, progress, provenance);
  } finally {
    progress.done();
  }
}

async function distillSteps(
  dataset: Dataset,
  options: DistillOptions,
  progress: Progress,
  provenance: Record<string, unknown>,
): Promise<DistillResult> {
  const started = performance.now();
  const teacher = await trainEnsemble(dataset, options, progress);
  const student = await trainStudent(
    dataset,
    { members: teacher.members, featurizer: teacher.featurizer, trainLogits: teacher.logits.train },
    options,
    progress,
  );

  progress.stage("export: teacher ONNX graph");
  const teacherOnnx = exportOnnx(teacher.members, {
    embeddingDtype: options.teacher.embeddingDtype,
    embeddingBits: options.teacher.embeddingBits,
  });
  const version = String(provenance.version ?? "1.0.0");
  const teacherManifest: TeacherManifest = {
    name: options.name,
    version,
    role: "teacher",
    task: "text-classification",
    labels: dataset.labels,
    featurizer: teacher.featurizer,
    onnx: onnxSpec(TEACHER_FILE, teacherOnnx, options.teacher, dataset.labels.length),
  };
  return shipStudent(
    {
      dataset,
      student,
      teacher: { manifest: teacherManifest, onnx: teacherOnnx },
      options,
      version,
      training: { teacher: { recipe: options.teacher, outOfScopeBias: teacher.oosBias }, ...provenance },
      started,
    },
    progress,
  );
}
