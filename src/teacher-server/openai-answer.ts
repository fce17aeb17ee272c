import type { ChatMessage, TokenLogprob, TopLogprob } from "../core/openai-chat.ts";
import type { Prediction } from "./model.ts";

/**
 * The conventions that let a classifier speak chat completions (the gateway's `openai` adapter reads
 * them back; any OpenAI-compatible LLM prompted the same way can stand in for this server):
 *
 * Prompt: the text to classify is taken from the last user message. If it has a line starting with
 * `Text:` (any case), the text is everything after that marker up to the end of the message, trimmed —
 * so put instructions first and the `Text:` line last; a multi-line text may follow the marker.
 * Without such a line the whole message is the text.
 *
 * Answer: the assistant content is exactly `{"label":"<label>"}` (JSON.stringify of {label}).
 *
 * Logprobs: the content is split into three tokens that concatenate to it exactly:
 *   `{"label":"`   logprob 0
 *   `<label>`       logprob = log p(label), the label as escaped inside the JSON string (for plain
 *                   labels, the label itself); its top_logprobs list the `top_logprobs` most probable
 *                   labels in descending order (the answered label first), each with its log p
 *   `"}`           logprob 0
 * So a reader finds the token whose text is the answered label (the second one) and takes exp(logprob);
 * the alternatives give the rest of the distribution. Log-probs are floored at -9999, as OpenAI does,
 * so that a probability that underflows to 0 still serialises as a number.
 */
export const MIN_LOGPROB = -9999;
export const ANSWER_PREFIX = '{"label":"';
export const ANSWER_SUFFIX = '"}';

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

export function answerContent(label: string): string {
  return JSON.stringify({ label });
}

/** The label as it appears between the quotes of the JSON answer. */
function labelToken(label: string): string {
  return JSON.stringify(label).slice(1, -1);
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
): TokenLogprob[] {
  const n = topN ?? 0;
  const fixed = (token: string): TokenLogprob => {
    const t = top(token, 0);
    return { ...t, top_logprobs: n > 0 ? [t] : [] };
  };
  const ranked = labels
    .map((label, index) => ({ label, index, logprob: prediction.logprobs[index]! }))
    .sort((a, b) => b.logprob - a.logprob || a.index - b.index);
  const chosen = top(labelToken(prediction.label), prediction.logprobs[prediction.index]!);
  return [
    fixed(ANSWER_PREFIX),
    { ...chosen, top_logprobs: ranked.slice(0, n).map((r) => top(labelToken(r.label), r.logprob)) },
    fixed(ANSWER_SUFFIX),
  ];
}

/** Token counts are estimated at about four characters per token; no tokenizer is involved. */
export function estimateTokens(texts: readonly string[]): number {
  let chars = 0;
  for (const t of texts) chars += t.length;
  return Math.max(1, Math.ceil(chars / 4));
}
