import { z } from "zod";
import { INPUT_NAME, InferAnswer, type InferRequest, MetadataAnswer } from "../../core/v2.ts";
import { checkLabel, fetchJson, parseAnswer } from "./http.ts";
import { type TeacherAdapter, type TeacherAnswer, TeacherError, type TeacherQuery } from "./types.ts";

/**
 * Open Inference Protocol (KServe V2; Triton, KServe, the local teacher). One request per batch:
 * `POST {url}/v2/models/{model}/infer` with one BYTES input "text" of shape [n].
 *
 * Reading the answer: output "probabilities" (FP32 [n, C]) is authoritative; the argmax column is the
 * label and its value the confidence. Which label a column is comes from the model metadata
 * (`GET {url}/v2/models/{model}`, `parameters.labels`, fetched once per isolate and cached): the V2 spec
 * has no standard place for class names, so without that parameter the columns are ASSUMED to be in the
 * order of the gateway model's labels, and C must equal their count. A model with no "probabilities"
 * output may answer a BYTES "label" output instead, taken as a one-hot answer (confidence 1).
 */
type Output = InferAnswer["outputs"][number];

// The spec lets tensor data be nested row-major; flatten before checking element types.
const Probabilities = z.array(
  z
    .number()
    .min(0)
    .max(1 + 1e-4, "not a probability"),
);
const Labels = z.array(z.string());

/** Column labels per (url, model); a failed fetch is forgotten so the next call tries again. */
const columnLabels = new Map<string, Promise<string[] | null>>();

async function fetchColumnLabels(
  base: string,
  model: string,
  apiKey: string | undefined,
  signal: AbortSignal,
): Promise<string[] | null> {
  const url = `${base}/v2/models/${encodeURIComponent(model)}`;
  const metadata = parseAnswer(MetadataAnswer, await fetchJson(url, { method: "GET", apiKey, signal }), url);
  return metadata.parameters?.labels ?? null;
}

function labelsOf(base: string, model: string, apiKey: string | undefined, signal: AbortSignal) {
  const key = `${base}\n${model}`;
  let labels = columnLabels.get(key);
  if (!labels) {
    labels = fetchColumnLabels(base, model, apiKey, signal);
    columnLabels.set(key, labels);
    labels.catch(() => columnLabels.delete(key));
  }
  return labels;
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
  const data = parseAnswer(Probabilities.length(n * c), output.data.flat(2), `${what} probabilities`);
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
  const labels = parseAnswer(Labels.length(n), output.data.flat(2), `${what} label`);
  return labels.map((label) => ({
    label: checkLabel(label, query.labels, what),
    confidence: 1,
    probs: null,
  }));
}

export function kserveV2Adapter(base: string, apiKey?: string): TeacherAdapter {
  return {
    protocol: "kserve-v2",
    async classify(query, signal) {
      const n = query.texts.length;
      const url = `${base}/v2/models/${encodeURIComponent(query.model)}/infer`;
      const body: InferRequest = {
        inputs: [{ name: INPUT_NAME, datatype: "BYTES", shape: [n], data: [...query.texts] }],
      };
      const [columns, raw] = await Promise.all([
        labelsOf(base, query.model, apiKey, signal),
        fetchJson(url, { apiKey, signal, body }),
      ]);
      const { outputs } = parseAnswer(InferAnswer, raw, url);
      const probabilities = outputs.find((o) => o.name === "probabilities");
      if (probabilities) {
        if (columns === null && probabilities.shape[1] !== query.labels.length) {
          throw new TeacherError(
            "bad_response",
            `${url}: the metadata names no labels and "probabilities" has ${probabilities.shape[1]} columns ` +
              `for ${query.labels.length} labels`,
          );
        }
        return fromProbabilities(probabilities, n, columns ?? query.labels, query, url);
      }
      const label = outputs.find((o) => o.name === "label");
      if (label) return fromLabels(label, n, query, url);
      throw new TeacherError("bad_response", `${url}: no "probabilities" or "label" output`);
    },
  };
}
