import { z } from "zod";
import { type ChatRequest, CompletionAnswer } from "../../core/openai-chat.ts";
import { allOrAbort, checkLabel, fetchJson, type HttpOptions, parseAnswer } from "./http.ts";
import { labelMessages, labelSchema } from "./label-prompt.ts";
import { labelLogprobs } from "./openai-logprobs.ts";
import { type TeacherAdapter, type TeacherAnswer, TeacherError, type TeacherQuery } from "./types.ts";

/**
 * OpenAI chat completions (`POST {url}/v1/chat/completions`), so any OpenAI-compatible LLM can teach.
 * One request per text, in parallel: chat completions has no batch of independent prompts. The answer
 * is constrained by a strict JSON schema to `{"label": <one of the labels>}`, at temperature 0.
 *
 * Confidence is exp(logprob of the label's tokens), see openai-logprobs.ts; probs is the teacher's
 * distribution over the labels read from the top_logprobs alternatives (labels they leave out share the
 * mass they leave), which the hard-example record carries so distillation learns soft targets. A
 * server that returns no logprobs, no alternatives, or tokens that cannot be placed in the content
 * gives probs null (a one-hot target); with no logprobs at all, confidence 1.
 */
const LabelJson = z.object({ label: z.string() });

// Five alternatives is OpenAI's usual ceiling for cheap requests and enough to cover small label sets.
const TOP_LOGPROBS = 5;

function requestBody(query: TeacherQuery, text: string): z.input<typeof ChatRequest> {
  return {
    model: query.model,
    messages: [...labelMessages(query.labels, text)],
    temperature: 0,
    logprobs: true,
    top_logprobs: TOP_LOGPROBS,
    response_format: {
      type: "json_schema",
      json_schema: { name: "label", strict: true, schema: labelSchema(query.labels) },
    },
  };
}

export function readCompletion(raw: unknown, labels: readonly string[], what: string): TeacherAnswer {
  const choice = parseAnswer(CompletionAnswer, raw, what).choices[0]!;
  const { content, refusal } = choice.message;
  if (content === null) {
    throw new TeacherError("bad_response", `${what}: no content${refusal ? ` (refusal: ${refusal})` : ""}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(content);
  } catch {
    throw new TeacherError("bad_response", `${what}: content is not JSON: ${content.slice(0, 200)}`);
  }
  const label = checkLabel(parseAnswer(LabelJson, json, `${what} content`).label, labels, what);
  const tokens = choice.logprobs?.content;
  const read = tokens ? labelLogprobs(content, tokens, labels) : null;
  if (!read) return { label, confidence: 1, probs: null };
  return { label, confidence: Math.min(1, Math.exp(read.logprob)), probs: read.probs };
}

export function openaiAdapter(base: string, http: HttpOptions): TeacherAdapter {
  const url = `${base}/v1/chat/completions`;
  return {
    protocol: "openai",
    classify(query, signal) {
      return allOrAbort(query.texts, signal, async (text, each) =>
        readCompletion(
          await fetchJson(url, { ...http, signal: each, body: requestBody(query, text) }),
          query.labels,
          url,
        ),
      );
    },
  };
}
