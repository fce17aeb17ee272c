import { confidenceScore } from "../../src/core/scores.ts";
import { argmax, softmax } from "../../src/core/softmax.ts";
import { type OperatingPoint, sampleCurve, sweepThresholds } from "../../src/distill/calibrate/threshold.ts";
import type { Dataset } from "../../src/distill/data/index.ts";
import { evaluate } from "../../src/distill/eval/evaluate.ts";
import type { LoadedPackage } from "../../src/distill/package/files.ts";
import { onnxLogits } from "../../src/distill/package/onnx-node.ts";
import type { TeacherPackage } from "../../src/distill/package/teacher.ts";
import { encodeSplit } from "../../src/distill/pipeline/encode.ts";

/** One student on the test split, run by onnxruntime-node: the numbers the Worker computes (parity-tested). */
export interface TestFigures {
  n: number;
  teacherAccuracy: number;
  studentAccuracy: number;
  /** At the package's shipped score and threshold. */
  shipped: { teacherRate: number; accuracy: number; retention: number };
  /** Least teacher rate whose cascade accuracy reaches `retention` × teacher accuracy (shipped score kind). */
  atRetention: { retention: number; teacherRate: number | null; accuracy: number | null };
  /** The cascade curve, thinned for the plot. */
  curve: OperatingPoint[];
}

export interface TeacherOnTest {
  gold: Int32Array;
  logits: Float32Array[];
  correct: boolean[];
  accuracy: number;
}

/** The teacher does not change between rounds: its test logits are computed once. */
export async function teacherOnTest(teacher: TeacherPackage, dataset: Dataset): Promise<TeacherOnTest> {
  const { bags, labels } = encodeSplit(dataset.test, teacher.manifest.labels, teacher.manifest.featurizer);
  const logits = await onnxLogits(teacher.onnx, teacher.manifest.onnx, bags);
  const correct = logits.map((z, i) => argmax(z) === labels[i]);
  return { gold: labels, logits, correct, accuracy: correct.filter(Boolean).length / correct.length };
}

export async function measure(
  pkg: LoadedPackage,
  dataset: Dataset,
  teacher: TeacherOnTest,
  retention: number,
): Promise<TestFigures> {
  const { manifest } = pkg;
  const bags = encodeSplit(dataset.test, manifest.labels, manifest.featurizer).bags;
  const studentLogits = await onnxLogits(pkg.student, manifest.onnx, bags);
  const { summary } = evaluate({
    dataset: dataset.name,
    modelName: manifest.name,
    modelVersion: manifest.version,
    labels: manifest.labels,
    outOfScopeLabel: manifest.outOfScopeLabel,
    gold: teacher.gold,
    studentLogits,
    teacherLogits: teacher.logits,
    temperature: manifest.calibration.temperature,
    routing: manifest.routing,
    onnxBytes: pkg.student.length,
  });
  // The full sweep (not the report's 41 samples): the teacher rate at a retention must be exact.
  const probs = new Float64Array(manifest.labels.length);
  const scores = studentLogits.map((z) => {
    softmax(z, probs, manifest.calibration.temperature);
    return confidenceScore(manifest.routing.score, probs);
  });
  const studentCorrect = studentLogits.map((z, i) => argmax(z) === teacher.gold[i]);
  const sweep = sweepThresholds(scores, studentCorrect, teacher.correct);
  const need = retention * teacher.accuracy - 1e-12;
  const reached = sweep.filter((p) => p.accuracy >= need).sort((a, b) => a.teacher_rate - b.teacher_rate)[0];
  return {
    n: summary.n_test,
    teacherAccuracy: summary.teacher.accuracy,
    studentAccuracy: summary.student.accuracy,
    shipped: {
      teacherRate: summary.cascade.teacher_rate,
      accuracy: summary.cascade.accuracy,
      retention: summary.cascade.retention,
    },
    atRetention: {
      retention,
      teacherRate: reached?.teacher_rate ?? null,
      accuracy: reached?.accuracy ?? null,
    },
    curve: sampleCurve(sweep, 101),
  };
}
