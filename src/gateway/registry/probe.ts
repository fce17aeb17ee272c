import * as ort from "onnxruntime-web/wasm";
import { type PaddedBatch, padBags } from "../../core/batch.ts";
import { featurize } from "../../core/featurizer.ts";
import type { ModelManifest } from "../../core/manifest.ts";
import type { EmbeddingBagWeights } from "../../core/model.ts";
import { readEnsembleWeights } from "../../core/onnx-weights.ts";
import { createSession } from "../runtime/onnx-session.ts";
import { createSerial } from "../runtime/serial.ts";
import { graphOverBudget, nonFiniteWeights } from "./graph-budget.ts";

/**
 * Proves an uploaded graph can serve before it is stored, in the serving isolate (Workers have no other
 * place to run WASM synchronously for an admin request), within a budget that isolate can afford:
 * 1. on its bytes, before any session exists: the graph budget (nodes, operators, parameters, declared
 *    sizes; graph-budget.ts) and finite weights;
 * 2. in the onnxruntime-web runtime that will serve it: the manifest's input and output names, and
 *    finite logits of shape [batch, classes] for probe texts at batch sizes 1, 2 and 7;
 * 3. the manifest against the graph: a graph written by our exporter has as many embedding rows as the
 *    featuriser has buckets, and the architecture the manifest states;
 * 4. every feature id the featuriser can emit, [0, buckets), in small runs: each must give finite
 *    logits, so no embedding row can poison the texts that hash to it.
 * One validation runs at a time per isolate, and the runs of step 4 yield between them, so serving
 * requests interleave with a validation instead of waiting for it. Anything refused is a GraphRefused
 * naming the fault.
 */
export class GraphRefused extends Error {}

export const PROBE_TEXTS = [
  "what is the probe text for this model",
  "",
  "FREE entry!!! call 0800 123 456 now to claim your prize",
  "Ünïcödé, 日本語 and emoji 🙂 in one text",
  "a",
  "how do i reset my password and change the pin of my card please",
  "x ".repeat(600),
];
const BATCH_SIZES = [1, 2, 7];
/** Feature ids per run of the coverage probe: [8, 512] ids, a few hundred kB of WASM heap at most. */
const COVERAGE_ROWS = 8;
const COVERAGE_LENGTH = 512;
/** A validation that takes longer is refused: it would cost every request that much again at serving. */
export const PROBE_BUDGET_MS = 15_000;

const oneAtATime = createSerial();

export function probeOnnx(manifest: ModelManifest, bytes: ArrayBuffer): Promise<void> {
  return oneAtATime(() => validate(manifest, bytes));
}

async function validate(manifest: ModelManifest, bytes: ArrayBuffer): Promise<void> {
  const staticFault = graphOverBudget(bytes) ?? nonFiniteWeights(bytes);
  if (staticFault) throw new GraphRefused(staticFault);
  let session: ort.InferenceSession;
  try {
    session = await createSession(bytes);
  } catch (error) {
    throw new GraphRefused(`onnxruntime-web cannot load it (${messageOf(error)})`);
  }
  try {
    const run = runner(session, manifest);
    const members = exporterMembers(bytes);
    const rowsFault = members && missingRows(manifest, members);
    if (rowsFault) throw new GraphRefused(rowsFault);
    for (const size of BATCH_SIZES)
      await run(
        padBags(PROBE_TEXTS.slice(0, size).map((t) => featurize(t, manifest.featurizer))),
        `${size} probe text${size > 1 ? "s" : ""}`,
      );
    const disagreement = members && architectureDisagreement(manifest, members);
    if (disagreement) throw new GraphRefused(disagreement);
    await coverEveryBucket(run, manifest.featurizer.buckets);
  } finally {
    // The WASM heap does not shrink: give the probe's memory back before anything else is loaded.
    await session.release();
  }
}

type Run = (batch: PaddedBatch, what: string) => Promise<void>;

/** Runs one batch and checks the output: float32, [rows, classes], finite. */
function runner(session: ort.InferenceSession, manifest: ModelManifest): Run {
  const { inputs, output } = manifest.onnx;
  for (const name of [inputs.ids, inputs.weights])
    if (!session.inputNames.includes(name))
      throw new GraphRefused(`it has no input "${name}" (inputs: ${session.inputNames.join(", ")})`);
  if (!session.outputNames.includes(output))
    throw new GraphRefused(`it has no output "${output}" (outputs: ${session.outputNames.join(", ")})`);
  const classes = manifest.labels.length;
  const started = performance.now();
  return async (batch, what) => {
    const dims = [batch.rows, batch.length];
    let result: ort.InferenceSession.ReturnType;
    try {
      result = await session.run({
        [inputs.ids]: new ort.Tensor("int32", batch.ids, dims),
        [inputs.weights]: new ort.Tensor("float32", batch.weights, dims),
      });
    } catch (error) {
      throw new GraphRefused(`running it on ${what} failed (${messageOf(error)})`);
    }
    const logits = result[output];
    if (logits?.type !== "float32") throw new GraphRefused(`output "${output}" is not float32`);
    if (logits.dims.length !== 2 || logits.dims[0] !== batch.rows || logits.dims[1] !== classes)
      throw new GraphRefused(
        `output "${output}" has shape [${logits.dims.join(", ")}], expected [${batch.rows}, ${classes}] (for ${what})`,
      );
    if (!(logits.data as Float32Array).every(Number.isFinite))
      throw new GraphRefused(`output "${output}" is not finite for ${what}`);
    if (performance.now() - started > PROBE_BUDGET_MS)
      throw new GraphRefused(`validating it takes over ${PROBE_BUDGET_MS} ms`);
  };
}

/** Every id in [0, buckets), COVERAGE_ROWS bags of COVERAGE_LENGTH ids per run. */
async function coverEveryBucket(run: Run, buckets: number): Promise<void> {
  const perRun = COVERAGE_ROWS * COVERAGE_LENGTH;
  for (let start = 0; start < buckets; start += perRun) {
    const bags: Int32Array[] = [];
    for (let from = start; from < Math.min(start + perRun, buckets); from += COVERAGE_LENGTH) {
      const to = Math.min(from + COVERAGE_LENGTH, buckets);
      bags.push(Int32Array.from({ length: to - from }, (_, i) => from + i));
    }
    const end = Math.min(start + perRun, buckets);
    await run(padBags(bags), `feature ids [${start}, ${end}) of the featuriser's ${buckets} buckets`);
    // Let the isolate's other requests run between two runs.
    await new Promise((resolve) => setTimeout(resolve, 0));
  }
}

/** The ensemble members of a graph written by our exporter; null for a graph of another shape. */
function exporterMembers(bytes: ArrayBuffer): EmbeddingBagWeights[] | null {
  try {
    return readEnsembleWeights(bytes);
  } catch {
    return null;
  }
}

/** Featuriser buckets beyond the embedding rows: texts hashing there would fail (checked first). */
function missingRows(manifest: ModelManifest, members: EmbeddingBagWeights[]): string | null {
  const { buckets } = manifest.featurizer;
  const rows = Math.min(...members.map((m) => m.buckets));
  return rows < buckets
    ? `the featuriser has ${buckets} buckets, the graph's embedding only ${rows} rows`
    : null;
}

/** Where the manifest's stated architecture differs from the graph's, or null. */
function architectureDisagreement(manifest: ModelManifest, members: EmbeddingBagWeights[]): string | null {
  const { architecture } = manifest.onnx;
  const graph = { ...members[0]!, members: members.length };
  for (const key of ["buckets", "dim", "hidden", "classes", "members"] as const)
    if (graph[key] !== architecture[key])
      return `manifest.onnx.architecture.${key} is ${architecture[key]}, the graph's is ${graph[key]}`;
  return null;
}

function messageOf(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return text.length > 200 ? `${text.slice(0, 200)}…` : text;
}
