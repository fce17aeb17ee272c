import type { ChatCompletion, ChatCompletionChunk, TokenLogprob } from "./openai-chat.ts";

/**
 * A completion as OpenAI streams it (`stream: true`): per choice, a chunk with the role, one chunk per
 * token of the content (with that token's logprobs when they were asked for), and a chunk with
 * finish_reason; then, with `stream_options.include_usage`, a last chunk with no choices and the usage
 * (every chunk before it has `usage: null`). The router sends each as `data: <json>`, then `data: [DONE]`
 * (sseBody). Shared by the local teacher server and the gateway's chat completions.
 */
export function completionChunks(
  completion: ChatCompletion,
  /** Each choice's content as tokens; they concatenate to its message content. */
  tokens: readonly (readonly TokenLogprob[])[],
  includeUsage: boolean,
): ChatCompletionChunk[] {
  const { id, created, model, system_fingerprint } = completion;
  const chunk = (choices: ChatCompletionChunk["choices"]): ChatCompletionChunk => ({
    id,
    object: "chat.completion.chunk",
    created,
    model,
    system_fingerprint,
    choices,
    ...(includeUsage ? { usage: null } : {}),
  });
  const chunks = completion.choices.flatMap(({ index, logprobs }) => [
    chunk([
      {
        index,
        delta: { role: "assistant", content: "", refusal: null },
        logprobs: null,
        finish_reason: null,
      },
    ]),
    ...tokens[index]!.map((token) =>
      chunk([
        {
          index,
          delta: { content: token.token },
          logprobs: logprobs ? { content: [token], refusal: null } : null,
          finish_reason: null,
        },
      ]),
    ),
    chunk([{ index, delta: {}, logprobs: null, finish_reason: "stop" }]),
  ]);
  return includeUsage ? [...chunks, { ...chunk([]), usage: completion.usage }] : chunks;
}

/** The chunks as a server-sent event stream body: one `data:` event each, then `data: [DONE]`. */
export function sseBody(chunks: readonly ChatCompletionChunk[]): string {
  return `${chunks.map((chunk) => `data: ${JSON.stringify(chunk)}\n\n`).join("")}data: [DONE]\n\n`;
}
