import { z } from "zod";
import { INPUT_NAME, InferAnswer, type InferRequest, MetadataAnswer } from "../../core/v2.ts";
import { checkLabel, fetchJson, type HttpOptions, parseAnswer } from "./http.ts";
import { type TeacherAdapter, type TeacherAnswer, TeacherError, type TeacherQuery } from "./types.ts";

/**
 * Open Inference Protocol (KServe V2; Triton, KServe, the local teacher). One request per batch:
 * `POST {url}/v2/models/{model}/infer` with one BYTES input "text" of shape [n].
 *
 * Reading the answer: output "probabilities" (FP32 [n, C]) is authoritative; the argmax column is the
 * label and its value the confidence. Which label a column is comes from the model metadata
 * (`GET {url}/v2/models/{model}`, `parameters.labels`): the V2 spec has no standard place for class
 * names, so without that parameter the columns are ASSUMED to be in the order of the gateway model's
 * labels, and C must equal their count. A model with no "probabilities" output may answer a BYTES
 * "label" output instead, taken as a one-hot answer (confidence 1).
 *
 * The metadata is cached per isolate, but a teacher may be redeployed with its columns in another order,
 * and reading new columns with old labels would mislabel every answer (and the cache and hard-example
 * log would keep them). So the labels are read again after LABELS_TTL_MS, and at once when an answer
 * disagrees with them: "probabilities" with another column count, or a "label" output that is not the
 * labelled argmax column. Then the metadata is fetched afresh and the answer read again with it; if they
 * still disagree the call fails (`bad_response`) rather than answer with a guess. A teacher that sends
 * only "probabilities" and keeps its column count is caught by the TTL alone.
 */
export const LABELS_TTL_MS = 5 * 60_000;

export interface KserveOptions extends HttpOptions {
  /** How long column labels are trusted; LABELS_TTL_MS unless a test says otherwise. */
  labelsTtlMs?: number;
}

type Output = InferAnswer["outputs"][number];

// The spec lets tensor data be nested row-major; flatten before checking element types.
const Probabilities = z.array(
  z
    .number()
    .min(0)
    .max(1 + 1e-4, "not a probability"),
);
const Labels = z.array(z.string());

interface CachedLabels {
  labels: Promise<string[] | null>;
  fetchedAt: number;
}

/** Column labels per (url, model); a failed fetch is forgotten so the next call tries again. */
const columnLabels = new Map<string, CachedLabels>();

async function fetchColumnLabels(
  base: string,
  model: string,
  http: HttpOptions,
  signal: AbortSignal,
): Promise<string[] | null> {
  const url = `${base}/v2/models/${encodeURIComponent(model)}`;
  const metadata = parseAnswer(MetadataAnswer, await fetchJson(url, { method: "GET", ...http, signal }), url);
  return metadata.parameters?.labels ?? null;
}

/** The cached column labels while younger than `ttlMs`, else (or when `fresh`) read again. */
function labelsOf(
  base: string,
  model: string,
  options: KserveOptions,
  signal: AbortSignal,
  fresh = false,
): Promise<string[] | null> {
  const key = `${base}\n${model}`;
  const cached = columnLabels.get(key);
  const ttlMs = options.labelsTtlMs ?? LABELS_TTL_MS;
  if (cached && !fresh && Date.now() - cached.fetchedAt < ttlMs) return cached.labels;
  const entry: CachedLabels = {
    labels: fetchColumnLabels(base, model, options, signal),
    fetchedAt: Date.now(),
  };
  columnLabels.set(key, entry);
  entry.labels.catch(() => {
    if (columnLabels.get(key) === entry) columnLabels.delete(key);
  });
  return entry.labels;
}

const flat = (output: Output) => output.data.flat(2);

/**
 * Why the answer disagrees with the column labels, or null: "probabilities" with another column count,
 * or a "label" output naming a column that is not the row's largest (ties are agreement).
 */
function mismatch(outputs: readonly Output[], columns: readonly string[] | null): string | null {
  const probabilities = outputs.find((o) => o.name === "probabilities");
  if (!probabilities || columns === null) return null;
  const c = probabilities.shape[1];
  if (c !== columns.length) return `"probabilities" has ${c} columns, the metadata names ${columns.length}`;
  const labels = outputs.find((o) => o.name === "label");
  if (!labels) return null;
  const values = flat(probabilities);
  const named = flat(labels);
  for (let row = 0; row < named.length; row++) {
    const rowValues = values.slice(row * c, row * c + c).map(Number);
    const j = columns.indexOf(String(named[row]));
    if (j < 0 || rowValues[j]! < Math.max(...rowValues))
      return `row ${row}: "label" is ${JSON.stringify(named[row])}, not the labelled largest column`;
  }
  return null;
}

function fromProbabilities(
  output: Output,
  n: number,
  columns: readonly string[],
  query: TeacherQuery,
  what: string,
): TeacherAnswer[] {
  const c = columns.length;
  if (output.shape.length !== 2 || output.shape[0] !== n || output.shape[1] !== c) {
    throw new TeacherError(
      "bad_response",
      `${what}: "probabilities" has shape [${output.shape.join(", ")}], expected [${n}, ${c}]`,
    );
  }
  const data = parseAnswer(Probabilities.length(n * c), flat(output), `${what} probabilities`);
  return Array.from({ length: n }, (_, row) => {
    const values = data.slice(row * c, row * c + c);
    let best = 0;
    for (let j = 1; j < c; j++) if (values[j]! > values[best]!) best = j;
    const label = checkLabel(columns[best]!, query.labels, what);
    // Re-indexed into the gateway's label order; a label the teacher does not know gets 0.
    const probs = query.labels.map((l) => {
      const j = columns.indexOf(l);
      return j < 0 ? 0 : Math.min(1, values[j]!);
    });
    return { label, confidence: Math.min(1, values[best]!), probs };
  });
}

function fromLabels(output: Output, n: number, query: TeacherQuery, what: string) {
  const labels = parseAnswer(Labels.length(n), flat(output), `${what} label`);
  return labels.map((label) => ({
    label: checkLabel(label, query.labels, what),
    confidence: 1,
    probs: null,
  }));
}

/** The answers in `outputs`, its columns named by `columns` (null: the gateway model's label order). */
function readOutputs(
  outputs: readonly Output[],
  columns: readonly string[] | null,
  query: TeacherQuery,
  what: string,
): TeacherAnswer[] {
  const n = query.texts.length;
  const probabilities = outputs.find((o) => o.name === "probabilities");
  if (probabilities) {
    if (columns === null && probabilities.shape[1] !== query.labels.length) {
      throw new TeacherError(
        "bad_response",
        `${what}: the metadata names no labels and "probabilities" has ${probabilities.shape[1]} columns ` +
          `for ${query.labels.length} labels`,
      );
    }
    return fromProbabilities(probabilities, n, columns ?? query.labels, query, what);
  }
  const label = outputs.find((o) => o.name === "label");
  if (label) return fromLabels(label, n, query, what);
  throw new TeacherError("bad_response", `${what}: no "probabilities" or "label" output`);
}

export function kserveV2Adapter(base: string, options: KserveOptions): TeacherAdapter {
  return {
    protocol: "kserve-v2",
    async classify(query, signal) {
      const n = query.texts.length;
      const url = `${base}/v2/models/${encodeURIComponent(query.model)}/infer`;
      const body: InferRequest = {
        inputs: [{ name: INPUT_NAME, datatype: "BYTES", shape: [n], data: [...query.texts] }],
      };
      const [cached, raw] = await Promise.all([
        labelsOf(base, query.model, options, signal),
        fetchJson(url, { ...options, signal, body }),
      ]);
      const { outputs } = parseAnswer(InferAnswer, raw, url);
      if (mismatch(outputs, cached) === null) return readOutputs(outputs, cached, query, url);
      // The teacher's columns changed under the cached labels: read them afresh, once.
      const columns = await labelsOf(base, query.model, options, signal, true);
      const still = mismatch(outputs, columns);
      if (still !== null)
        throw new TeacherError(
          "bad_response",
          `${url}: the answer disagrees with the model metadata: ${still}`,
        );
      return readOutputs(outputs, columns, query, url);
    },
  };
}
