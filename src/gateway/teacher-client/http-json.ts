import { z } from "zod";
import { allOrAbort, checkLabel, fetchJson, type HttpOptions, parseAnswer } from "./http.ts";
import { type TeacherAdapter, type TeacherAnswer, TeacherError } from "./types.ts";

/**
 * The simplest teacher: `POST {url}` with `{"text"}` → `{"label", "probs"?}`, one request per text, in
 * parallel. `probs` is either an array in the order of the gateway model's labels (its length must
 * match) or an object keyed by label (labels it leaves out get 0; a key outside the label set is a
 * bad answer, since the teacher is then not answering over our labels). Without probs the answer is a
 * bare label: confidence 1.
 */
const Probability = z.number().min(0).max(1);

const Answer = z.looseObject({
  label: z.string(),
  probs: z.union([z.array(Probability), z.record(z.string(), Probability)]).optional(),
});

function probsOf(answer: z.output<typeof Answer>, labels: readonly string[], what: string): number[] | null {
  const { probs } = answer;
  if (probs === undefined) return null;
  if (Array.isArray(probs)) {
    if (probs.length !== labels.length) {
      throw new TeacherError("bad_response", `${what}: ${probs.length} probs for ${labels.length} labels`);
    }
    return probs;
  }
  const stranger = Object.keys(probs).find((key) => !labels.includes(key));
  if (stranger !== undefined) {
    throw new TeacherError("bad_response", `${what}: probs name ${JSON.stringify(stranger)}, not a label`);
  }
  return labels.map((label) => probs[label] ?? 0);
}

export function readHttpJson(raw: unknown, labels: readonly string[], what: string): TeacherAnswer {
  const answer = parseAnswer(Answer, raw, what);
  const label = checkLabel(answer.label, labels, what);
  const probs = probsOf(answer, labels, what);
  return { label, confidence: probs ? probs[labels.indexOf(label)]! : 1, probs };
}

export function httpJsonAdapter(url: string, http: HttpOptions): TeacherAdapter {
  return {
    protocol: "http-json",
    classify(query, signal) {
      return allOrAbort(query.texts, signal, async (text, each) =>
        readHttpJson(await fetchJson(url, { ...http, signal: each, body: { text } }), query.labels, url),
      );
    },
  };
}
