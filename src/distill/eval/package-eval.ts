import type { Dataset } from "../data/index.ts";
import type { LoadedPackage } from "../package/files.ts";
import { onnxLogits } from "../package/onnx-node.ts";
import { encodeSplit } from "../pipeline/encode.ts";
import { answerLogits } from "../pipeline/teacher-answers.ts";
import { evaluate } from "./evaluate.ts";
import type { EvalDetails, EvalSummary } from "./types.ts";

/**
 * Evaluates a model package as shipped: its ONNX files run by onnxruntime-node on the test split,
 * each model with its own featuriser from its manifest. Without a local teacher, the test labels are
 * the remote teacher's answers (agreement with the teacher is the accuracy).
 */
export async function evaluatePackage(
  pkg: LoadedPackage,
  dataset: Pick<Dataset, "name" | "test">,
  /** 1 / P(logged) per test example when the split is logged records (see EvalInputs.weights). */
  weights?: ArrayLike<number>,
): Promise<{ summary: EvalSummary; details: EvalDetails }> {
  const { manifest, teacher } = pkg;
  if (teacher && teacher.manifest.labels.join("\n") !== manifest.labels.join("\n"))
    throw new Error(`${pkg.dir}: the teacher's labels differ from the student's`);
  const student = encodeSplit(dataset.test, manifest.labels, manifest.featurizer);
  // A remote teacher is not here to run: the split's labels are its answers, so it is always right.
  const teacherLogits = teacher
    ? await onnxLogits(
        teacher.onnx,
        teacher.manifest.onnx,
        encodeSplit(dataset.test, manifest.labels, teacher.manifest.featurizer).bags,
      )
    : Array.from(student.labels, (label) => answerLogits(label, manifest.labels.length));
  return evaluate({
    dataset: dataset.name,
    modelName: manifest.name,
    modelVersion: manifest.version,
    labels: manifest.labels,
    outOfScopeLabel: manifest.outOfScopeLabel,
    gold: student.labels,
    studentLogits: await onnxLogits(pkg.student, manifest.onnx, student.bags),
    teacherLogits,
    temperature: manifest.calibration.temperature,
    routing: manifest.routing,
    onnxBytes: pkg.student.length,
    ...(weights ? { weights } : {}),
  });
}
