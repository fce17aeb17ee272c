import { normalizeText } from "../../src/core/featurizer.ts";
import { isHeldOut } from "../../src/core/holdout.ts";
import { routingScore } from "../../src/core/routing-score.ts";
import { argmax, softmax } from "../../src/core/softmax.ts";
import type { Dataset, Example } from "../../src/distill/data/index.ts";
import type { LoadedPackage } from "../../src/distill/package/files.ts";
import { onnxLogits } from "../../src/distill/package/onnx-node.ts";
import { readTeacherPackage } from "../../src/distill/package/teacher.ts";
import { encodeSplit } from "../../src/distill/pipeline/encode.ts";
import { synthesiseAnswers } from "../../src/teacher-server/answers/synthesise.ts";
import { TeacherModel } from "../../src/teacher-server/model.ts";
import { type RetentionPoint, retentionPoints, type SplitOutcomes } from "./retention.ts";

/**
 * The shipped student against a strong teacher: answers synthesised by `npm run answers`'s synthesiser
 * (the package's local teacher only picks plausible confusions), at a fixed accuracy and seed.
 */
export const STRONG_TEACHER = { accuracy: 0.97, seed: 1 } as const;
export const RETENTION_TARGETS = [0.99, 0.995] as const;

/**
 * Where the threshold is fitted: the validation split when the package left it alone, else (the
 * shipped packages fit their temperature and threshold on val, so their val scores flatter the
 * student) one half of test by a stable hash of the text, the figures being reported on the other.
 */
export type FitSplit = "val" | "test-hash-half";

export interface StrongTeacherRun {
  fitSplit: FitSplit;
  nFit: number;
  nTest: number;
  /** Accuracy against gold of the synthesised teacher on each split, and of the student on test. */
  teacherAccuracy: { fit: number; test: number };
  studentAccuracy: number;
  points: RetentionPoint[];
}

function splits(
  pkg: LoadedPackage,
  dataset: Pick<Dataset, "val" | "test">,
): { fitSplit: FitSplit; fit: Example[]; test: Example[] } {
  const valUntouched = pkg.manifest.calibration.fittedOn !== "val";
  if (valUntouched && dataset.val.length > 0)
    return { fitSplit: "val", fit: dataset.val, test: dataset.test };
  // By normalised text, so two spellings of one text never land on both sides.
  const inFit = (e: Example) => isHeldOut(normalizeText(e.text, pkg.manifest.featurizer), 0.5);
  const fit = dataset.test.filter(inFit);
  return { fitSplit: "test-hash-half", fit, test: dataset.test.filter((e) => !inFit(e)) };
}

/** The synthesised teacher's label index per example (synthesised per split, so each is at 97%). */
async function teacherAnswers(teacher: TeacherModel, examples: readonly Example[]): Promise<Int32Array> {
  const { lines } = await synthesiseAnswers(examples, teacher, STRONG_TEACHER);
  const { featurizer } = teacher.manifest;
  const answerOf = new Map(lines.map((line) => [normalizeText(line.text, featurizer), line.label]));
  const index = new Map(teacher.labels.map((label, i) => [label, i]));
  return Int32Array.from(examples, (e) => index.get(answerOf.get(normalizeText(e.text, featurizer))!)!);
}

/** The shipped student (onnxruntime-node, calibrated and scored as its manifest says) on one split. */
async function outcomes(
  pkg: LoadedPackage,
  examples: readonly Example[],
  teacherLabels: Int32Array,
): Promise<SplitOutcomes> {
  const { manifest } = pkg;
  const encoded = encodeSplit(examples, manifest.labels, manifest.featurizer);
  const logits = await onnxLogits(pkg.student, manifest.onnx, encoded.bags);
  const probs = new Float64Array(manifest.labels.length);
  const scores = Float64Array.from(logits, (z) => {
    softmax(z, probs, manifest.calibration.temperature);
    return routingScore(manifest.routing, probs);
  });
  return {
    scores,
    studentCorrect: Uint8Array.from(logits, (z, i) => (argmax(z) === encoded.labels[i] ? 1 : 0)),
    teacherCorrect: Uint8Array.from(teacherLabels, (label, i) => (label === encoded.labels[i] ? 1 : 0)),
  };
}

const share = (xs: Uint8Array) => (xs.length === 0 ? 0 : xs.reduce((s, x) => s + x, 0) / xs.length);

export async function runStrongTeacher(
  pkg: LoadedPackage,
  dataset: Pick<Dataset, "val" | "test">,
): Promise<StrongTeacherRun> {
  const { fitSplit, fit, test } = splits(pkg, dataset);
  const teacher = await TeacherModel.create(await readTeacherPackage(pkg.dir));
  try {
    const fitOutcomes = await outcomes(pkg, fit, await teacherAnswers(teacher, fit));
    const testOutcomes = await outcomes(pkg, test, await teacherAnswers(teacher, test));
    return {
      fitSplit,
      nFit: fit.length,
      nTest: test.length,
      teacherAccuracy: { fit: share(fitOutcomes.teacherCorrect), test: share(testOutcomes.teacherCorrect) },
      studentAccuracy: share(testOutcomes.studentCorrect),
      points: retentionPoints(fitOutcomes, testOutcomes, RETENTION_TARGETS),
    };
  } finally {
    await teacher.release();
  }
}
