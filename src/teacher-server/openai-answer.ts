import type { ChatMessage, TokenLogprob, TopLogprob } from "../core/openai-chat.ts";
import type { Prediction } from "./model.ts";
import { type AnswerFormat, LABEL_JSON } from "./openai-format.ts";

/**
 * The conventions that let a classifier speak chat completions (the gateway's `openai` adapter reads
 * them back; any OpenAI-compatible LLM prompted the same way can stand in for this server):
 *
 * Prompt: the text to classify is taken from the last user message. If it has a line starting with
 * `Text:` (any case), the text is everything after that marker up to the end of the message, trimmed —
 * so put instructions first and the `Text:` line last; a multi-line text may follow the marker.
 * Without such a line the whole message is the text.
 *
 * Answer: the assistant content is exactly `{"label":"<label>"}` (JSON.stringify of {label}), unless
 * `response_format` asks for another shape (openai-format.ts: a bare label, or the one property of a
 * JSON schema, possibly limited to an enum of labels).
 *
 * Logprobs: the content is split into (up to) three tokens that concatenate to it exactly:
 *   `{"label":"`   logprob 0 (the format's prefix; none for a bare label)
 *   `<label>`       logprob = log p(label), the label as escaped inside the JSON string (for plain
 *                   labels, the label itself); its top_logprobs list the `top_logprobs` most probable
 *                   labels the format allows, in descending order (the answered label first), each with
 *                   its log p
 *   `"}`           logprob 0 (the format's suffix)
 * So a reader finds the token whose text is the answered label and takes exp(logprob); the alternatives
 * give the rest of the distribution. Log-probs are floored at -9999, as OpenAI does, so that a
 * probability that underflows to 0 still serialises as a number.
 */
export const MIN_LOGPROB = -9999;
export const ANSWER_PREFIX = LABEL_JSON.prefix;
export const ANSWER_SUFFIX = LABEL_JSON.suffix;

const TEXT_MARKER = /^[ \t]*text:/im;
const encoder = new TextEncoder();

/** The text of a message's content: a string, or its text parts joined by newlines. */
export function messageText(message: ChatMessage): string {
  const { content } = message;
  if (typeof content === "string") return content;
  if (!content) return "";
  return content
    .filter((part) => part.type === "text" && typeof part.text === "string")
    .map((part) => part.text)
    .join("\n");
}

/** Applies the `Text:` convention to the content of the last user message. */
export function textToClassify(content: string): string {
  const marker = TEXT_MARKER.exec(content);
  const text = marker ? content.slice(marker.index + marker[0].length) : content;
  return text.trim();
}

export function answerContent(label: string, format: AnswerFormat = LABEL_JSON): string {
  return format.prefix + format.spell(label) + format.suffix;
}

/** The model's label, or, when the format allows only some labels, the most probable of those. */
export function answerIndex(prediction: Prediction, labels: readonly string[], format: AnswerFormat): number {
  const { allowed } = format;
  if (!allowed || allowed.has(prediction.label)) return prediction.index;
  let best = -1;
  for (const [index, label] of labels.entries()) {
    if (allowed.has(label) && (best < 0 || prediction.logprobs[index]! > prediction.logprobs[best]!))
      best = index;
  }
  return best;
}

function clamp(logprob: number): number {
  return Number.isNaN(logprob) ? MIN_LOGPROB : Math.max(MIN_LOGPROB, logprob);
}

function top(token: string, logprob: number): TopLogprob {
  return { token, logprob: clamp(logprob), bytes: Array.from(encoder.encode(token)) };
}

/** Token log-probs of the answer; `topN` alternatives per token (0 or null: none, as OpenAI does). */
export function answerLogprobs(
  prediction: Prediction,
  labels: readonly string[],
  topN: number | null,
  format: AnswerFormat = LABEL_JSON,
): TokenLogprob[] {
  const n = topN ?? 0;
  const fixed = (token: string): TokenLogprob[] => {
    if (token === "") return [];
    const t = top(token, 0);
    return [{ ...t, top_logprobs: n > 0 ? [t] : [] }];
  };
  const ranked = labels
    .map((label, index) => ({ label, index, logprob: prediction.logprobs[index]! }))
    .filter((r) => !format.allowed || format.allowed.has(r.label))
    .sort((a, b) => b.logprob - a.logprob || a.index - b.index);
  const index = answerIndex(prediction, labels, format);
  const chosen = top(format.spell(labels[index]!), prediction.logprobs[index]!);
  return [
    ...fixed(format.prefix),
    { ...chosen, top_logprobs: ranked.slice(0, n).map((r) => top(format.spell(r.label), r.logprob)) },
    ...fixed(format.suffix),
  ];
}

/** Token counts are estimated at about four characters per token; no tokenizer is involved. */
export function estimateTokens(texts: readonly string[]): number {
  let chars = 0;
  for (const t of texts) chars += t.length;
  return Math.max(1, Math.ceil(chars / 4));
}
