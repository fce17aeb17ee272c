import { join } from "node:path";
import { featurize } from "../../core/featurizer.ts";
import { routingScore } from "../../core/routing-score.ts";
import { argmax, softmax } from "../../core/softmax.ts";
import type { Example } from "../data/index.ts";
import { fileExists, type LoadedPackage, loadStudent } from "../package/files.ts";
import { onnxLogits } from "../package/onnx-node.ts";
import { HELD_OUT } from "../pipeline/ship.ts";
import { evaluationGate, type GateFigures, type GateOptions, type GateVerdict } from "./gate.ts";

/**
 * The evaluation gate of a student learnt from logged teacher answers: the candidate and the live
 * student run (onnxruntime-node) on the same held-out slice, scored against the teacher's answers, at
 * equal teacher rate: the candidate at its own threshold, the live student escalating as many of its
 * least confident answers. An escalated answer is the teacher's, so it agrees. Then the usual rule of
 * gate.ts. The one place this comparison is made, so a weighted one can replace it.
 */
export async function gateOnSlice(
  candidate: LoadedPackage,
  live: LoadedPackage | null,
  slice: readonly Example[],
  options: GateOptions,
): Promise<{ verdict: GateVerdict; candidate: GateFigures; live: GateFigures | null }> {
  const mine = await scoreOnSlice(candidate, slice);
  const escalated = mine.scores.filter((s) => s < candidate.manifest.routing.threshold).length;
  const candidateFigures = figuresAt(candidate, mine, escalated);
  if (live === null)
    return {
      verdict: {
        pass: true,
        forced: false,
        reason: "no live student: the first one passes on its own figures",
      },
      candidate: candidateFigures,
      live: null,
    };
  const liveFigures = figuresAt(live, await scoreOnSlice(live, slice), escalated);
  return {
    verdict: evaluationGate(candidateFigures, liveFigures, options),
    candidate: candidateFigures,
    live: liveFigures,
  };
}

interface SliceScores {
  /** The routing score of each answer, with the package's own temperature and score kind. */
  scores: number[];
  /** The student agrees with the teacher's answer. */
  agrees: boolean[];
}

async function scoreOnSlice(pkg: LoadedPackage, slice: readonly Example[]): Promise<SliceScores> {
  const { manifest } = pkg;
  const bags = slice.map((e) => featurize(e.text, manifest.featurizer));
  const logits = await onnxLogits(pkg.student, manifest.onnx, bags);
  const probs = new Float64Array(manifest.labels.length);
  const scores = logits.map((z) => {
    softmax(z, probs, manifest.calibration.temperature);
    return routingScore(manifest.routing, probs);
  });
  // By label name: a live student with another label set is still scored fairly.
  const agrees = logits.map((z, i) => manifest.labels[argmax(z)] === slice[i]!.label);
  return { scores, agrees };
}

/** Cascade agreement when the `escalated` least confident answers go to the teacher. */
function figuresAt(pkg: LoadedPackage, s: SliceScores, escalated: number): GateFigures {
  const order = s.scores.map((_, i) => i).sort((a, b) => s.scores[a]! - s.scores[b]! || a - b);
  let agree = escalated;
  for (const i of order.slice(escalated)) if (s.agrees[i]) agree++;
  const n = s.scores.length;
  return {
    version: pkg.manifest.version,
    split: HELD_OUT,
    n,
    accuracy: n === 0 ? 0 : agree / n,
    teacherRate: n === 0 ? 0 : escalated / n,
  };
}

/**
 * The live student's package on disk: the gateway has no route to download a version's graph, so the
 * toolkit reads the copy it wrote (runs/<name>/<version>, or models/<name> for the bundled one), or
 * `dir` when given. Only a copy whose manifest is that version (and, when the registry says, whose
 * graph has that SHA-256) is taken.
 */
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
