import type { ChatMessage, TokenLogprob, TopLogprob } from "./openai-chat.ts";

/**
 * The conventions that let a classifier speak chat completions, shared by the local teacher server
 * (src/teacher-server/openai.ts) and the gateway's own chat completions (src/gateway/chat/); the gateway's
 * `openai` adapter reads them back, and any OpenAI-compatible LLM prompted the same way can stand in:
 *
 * Prompt: the text to classify is taken from the last user message. If it has a line starting with
 * `Text:` (any case), the text is everything after that marker up to the end of the message, trimmed —
 * so put instructions first and the `Text:` line last; a multi-line text may follow the marker.
 * Without such a line the whole message is the text.
 *
 * Answer: the teacher server's content is exactly `{"label":"<label>"}` (JSON.stringify of {label}),
 * unless `response_format` asks for another shape (src/teacher-server/openai-format.ts: a bare label, or
 * the one property of a JSON schema, possibly limited to an enum of labels). An AnswerFormat says how.
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

/** How a label is written into the content. */
export interface AnswerFormat {
  /** The content is prefix + the label as spelt + suffix. */
  prefix: string;
  suffix: string;
  /** The label as it appears in the content: escaped inside a JSON string, or as it is. */
  spell(label: string): string;
  /** The labels the answer may take; null: any of the model's. */
  allowed: ReadonlySet<string> | null;
}

const inJsonString = (label: string) => JSON.stringify(label).slice(1, -1);

/** `{"<key>":"<label>"}`. */
export function jsonFormat(key: string, allowed: ReadonlySet<string> | null): AnswerFormat {
  return { prefix: `{${JSON.stringify(key)}:"`, suffix: '"}', spell: inJsonString, allowed };
}

export const LABEL_JSON = jsonFormat("label", null);
export const PLAIN_TEXT: AnswerFormat = { prefix: "", suffix: "", spell: (label) => label, allowed: null };
export const ANSWER_PREFIX = LABEL_JSON.prefix;
export const ANSWER_SUFFIX = LABEL_JSON.suffix;

/** A classifier's answer for one text: the label it chose and log p of every label, in label order. */
export interface LabelScores {
  index: number;
  logprobs: ArrayLike<number>;
}

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
export function answerIndex(
  prediction: LabelScores,
  labels: readonly string[],
  format: AnswerFormat,
): number {
  const { allowed } = format;
  if (!allowed || allowed.has(labels[prediction.index]!)) return prediction.index;
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
  prediction: LabelScores,
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
