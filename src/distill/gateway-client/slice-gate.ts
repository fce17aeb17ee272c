import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { featurize } from "../../core/featurizer.ts";
import { ModelManifest } from "../../core/manifest.ts";
import { routingScore } from "../../core/routing-score.ts";
import { argmax, softmax } from "../../core/softmax.ts";
import { fileExists, type LoadedPackage, loadStudent, readJson } from "../package/files.ts";
import { onnxLogits } from "../package/onnx-node.ts";
import type { HeldOutAnswer } from "../pipeline/answers.ts";
import { HELD_OUT } from "../pipeline/ship.ts";
import type { GatewayClient } from "./client.ts";
import { type EqualRateVerdict, equalRateGate, type GateStudent } from "./equal-rate-gate.ts";
import type { GateFigures, GateOptions } from "./gate.ts";

/**
 * The evaluation gate of a student learnt from logged teacher answers: the candidate and the live
 * student run (onnxruntime-node) on the same held-out slice, scored against the teacher's answers and
 * weighted by 1 / P(logged), and are compared at equal teacher rate (equal-rate-gate.ts): the rate is
 * the candidate's own at its shipped threshold.
 */
export async function gateOnSlice(
  candidate: LoadedPackage,
  live: LoadedPackage | null,
  slice: readonly HeldOutAnswer[],
  options: GateOptions,
): Promise<{ verdict: EqualRateVerdict; candidate: GateFigures; live: GateFigures | null }> {
  const weight = Float64Array.from(slice, (e) => e.weight);
  const teacherLabel = labelIndexes(candidate, slice);
  const mine = await studentOnSlice(candidate, slice);
  const own = atShippedThreshold(candidate, mine, teacherLabel, weight);
  const rate = own.rate;
  const theirs = live && (await studentOnSlice(live, slice, candidate.manifest.labels));
  const verdict = equalRateGate({ candidate: mine, live: theirs, teacherLabel, weight, rate }, options);
  const figures = (version: string, agreement: number): GateFigures => ({
    version,
    split: HELD_OUT,
    n: slice.length,
    accuracy: agreement,
    teacherRate: rate,
  });
  const at = verdict.atRate;
  return {
    verdict,
    candidate: figures(candidate.manifest.version, at ? at.candidate.agreement : own.agreement),
    live: live && at ? figures(live.manifest.version, at.live.agreement) : null,
  };
}

function labelIndexes(pkg: LoadedPackage, slice: readonly HeldOutAnswer[]): Int32Array {
  const index = new Map(pkg.manifest.labels.map((label, i) => [label, i]));
  return Int32Array.from(slice, (e) => index.get(e.label) ?? -1);
}

/**
 * A package's calibrated probabilities on the slice, with its own routing rule. With `answersIn`, the
 * labels the teacher's answers are indexed in: a live student with other labels, or the same ones in
 * another order, is then scored by label name (an answer outside them disagrees).
 */
async function studentOnSlice(
  pkg: LoadedPackage,
  slice: readonly HeldOutAnswer[],
  answersIn?: readonly string[],
): Promise<GateStudent> {
  const { manifest } = pkg;
  const bags = slice.map((e) => featurize(e.text, manifest.featurizer));
  const logits = await onnxLogits(pkg.student, manifest.onnx, bags);
  const probs = logits.map((z) => {
    const p = new Float64Array(manifest.labels.length);
    softmax(z, p, manifest.calibration.temperature);
    return p;
  });
  const student: GateStudent = { version: manifest.version, rule: manifest.routing, probs };
  const sameLabels =
    !answersIn ||
    (answersIn.length === manifest.labels.length &&
      answersIn.every((label, i) => manifest.labels[i] === label));
  if (sameLabels) return student;
  const agrees = Uint8Array.from(probs, (p, i) => (manifest.labels[argmax(p)] === slice[i]!.label ? 1 : 0));
  return { ...student, agrees };
}

/**
 * Weighted teacher rate and agreement of the candidate at its shipped threshold; an escalated answer is
 * the teacher's, so it agrees.
 */
function atShippedThreshold(
  pkg: LoadedPackage,
  student: GateStudent,
  teacherLabel: Int32Array,
  weight: Float64Array,
): { rate: number; agreement: number } {
  let total = 0;
  let escalated = 0;
  let agree = 0;
  student.probs.forEach((p, i) => {
    const w = weight[i]!;
    total += w;
    if (routingScore(student.rule, p) < pkg.manifest.routing.threshold) {
      escalated += w;
      agree += w;
    } else if (argmax(p) === teacherLabel[i]) agree += w;
  });
  return total > 0 ? { rate: escalated / total, agreement: agree / total } : { rate: 0, agreement: 0 };
}

/**
 * The live student's package on disk: the copy the toolkit wrote or downloaded (runs/<name>/<version>,
 * or models/<name> for the bundled one), or `dir` when given. Only a copy whose manifest is that version (and, when the registry says, whose
 * graph has that SHA-256) is taken.
 */
/**
 * The live student from the gateway's registry, written as a package to `dir`; its graph is checked
 * against its manifest when it is read back.
 */
export async function fetchLiveStudent(
  client: GatewayClient,
  name: string,
  version: string,
  dir: string,
): Promise<LoadedPackage> {
  const [manifest, onnx] = await Promise.all([
    client.versionFile(name, version, "manifest.json"),
    client.versionFile(name, version, "student.onnx"),
  ]);
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, "manifest.json"), manifest);
  const { onnx: spec } = await readJson(join(dir, "manifest.json"), ModelManifest);
  await writeFile(join(dir, spec.file), onnx);
  return loadStudent(dir);
}

export async function findLiveStudent(
  name: string,
  version: string,
  sha256: string | undefined,
  dir?: string,
): Promise<LoadedPackage | null> {
  const dirs = dir !== undefined ? [dir] : [join("runs", name, version), join("models", name)];
  for (const candidate of dirs) {
    if (!(await fileExists(join(candidate, "manifest.json")))) continue;
    const pkg = await loadStudent(candidate);
    const { manifest } = pkg;
    if (manifest.name !== name || manifest.version !== version) continue;
    if (sha256 !== undefined && manifest.onnx.sha256 !== sha256) continue;
    return pkg;
  }
  return null;
}
