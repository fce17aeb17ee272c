import { answerContent, answerLogprobs, estimateTokens, messageText } from "../../core/openai-answer.ts";
import type { ChatCompletion } from "../../core/openai-chat.ts";
import { completionChunks, sseBody } from "../../core/openai-stream.ts";
import type { ChatQuery } from "./request.ts";

/**
 * The gateway's own chat completion for a label it settled (the student's, or a teacher's asked through
 * the cascade): the content is the label in the shape the client asked for, `logprobs` are the log of the
 * calibrated probabilities in the token layout of src/core/openai-answer.ts, and with `stream: true` the
 * same completion goes out as OpenAI's chunks (src/core/openai-stream.ts).
 */
export interface SettledLabel {
  labels: readonly string[];
  label: string;
  /** p of every label, in label order; null when only the label's own confidence is known. */
  probs: ArrayLike<number> | null;
  confidence: number;
}

/** log p per label; without a distribution the label's confidence, every other label none (one-hot). */
function logprobsOf(answer: SettledLabel): Float64Array {
  const { labels, probs } = answer;
  const index = labels.indexOf(answer.label);
  return Float64Array.from(labels, (_, i) =>
    probs ? Math.log(probs[i]!) : i === index ? Math.log(answer.confidence) : Number.NEGATIVE_INFINITY,
  );
}

export interface CompletionIdentity {
  /** `chatcmpl-<request id>`, so feedback can name the answer by the request id. */
  id: string;
  model: string;
  /** `<model>@<version>`: which student (or "none") answered. */
  fingerprint: string;
}

export function settledCompletion(
  query: ChatQuery,
  answer: SettledLabel,
  identity: CompletionIdentity,
): { completion: ChatCompletion; body: string; contentType: string } {
  const scores = { index: answer.labels.indexOf(answer.label), logprobs: logprobsOf(answer) };
  const tokens = answerLogprobs(scores, answer.labels, query.topLogprobs, query.format);
  const promptTokens = estimateTokens(query.request.messages.map(messageText));
  const completion: ChatCompletion = {
    id: identity.id,
    object: "chat.completion",
    created: Math.floor(Date.now() / 1000),
    model: identity.model,
    system_fingerprint: identity.fingerprint,
    choices: [
      {
        index: 0,
        message: { role: "assistant", content: answerContent(answer.label, query.format), refusal: null },
        logprobs: query.topLogprobs === null ? null : { content: tokens, refusal: null },
        finish_reason: "stop",
      },
    ],
    usage: {
      prompt_tokens: promptTokens,
      completion_tokens: tokens.length,
      total_tokens: promptTokens + tokens.length,
    },
  };
  if (!query.stream) return { completion, body: JSON.stringify(completion), contentType: "application/json" };
  const chunks = completionChunks(completion, [tokens], query.includeUsage);
  return { completion, body: sseBody(chunks), contentType: "text/event-stream; charset=utf-8" };
}
