import { z } from "zod";

/**
 * OpenAI chat completions, the part of the contract a classifier speaks: the local teacher server
 * answers it, the gateway's openai teacher client sends and reads it (any OpenAI-compatible LLM can
 * stand in for the server). https://platform.openai.com/docs/api-reference/chat
 *
 * The request: the subset of OpenAI's the teacher understands (stream, n, response_format and logprobs
 * are honoured). Unknown fields (temperature, max_tokens, seed, user, ...) are accepted and ignored, as
 * other OpenAI-compatible servers do, so stock clients work.
 */
const ContentPart = z.looseObject({ type: z.string(), text: z.string().optional() });

export const ChatMessage = z.looseObject({
  role: z.enum(["system", "developer", "user", "assistant", "tool", "function"]),
  content: z.union([z.string(), z.array(ContentPart), z.null()]).optional(),
});
export type ChatMessage = z.infer<typeof ChatMessage>;

const ResponseFormat = z.discriminatedUnion("type", [
  z.object({ type: z.literal("text") }),
  z.object({ type: z.literal("json_object") }),
  z.object({
    type: z.literal("json_schema"),
    json_schema: z.looseObject({
      name: z.string().min(1),
      description: z.string().optional(),
      schema: z.record(z.string(), z.unknown()).optional(),
      strict: z.boolean().nullable().optional(),
    }),
  }),
]);

export const ChatRequest = z
  .looseObject({
    model: z.string().min(1),
    messages: z.array(ChatMessage).min(1),
    logprobs: z.boolean().nullable().optional(),
    top_logprobs: z.number().int().min(0).max(20).nullable().optional(),
    response_format: ResponseFormat.optional(),
    // OpenAI's own bounds.
    n: z.number().int().min(1).max(128).nullable().optional(),
    stream: z.boolean().nullable().optional(),
    stream_options: z.looseObject({ include_usage: z.boolean().nullable().optional() }).nullable().optional(),
  })
  .refine((r) => r.top_logprobs == null || r.logprobs === true, {
    message: "top_logprobs requires logprobs: true",
    path: ["top_logprobs"],
  })
  .refine((r) => r.stream_options == null || r.stream === true, {
    message: "stream_options is only allowed when stream is true",
    path: ["stream_options"],
  });
export type ChatRequest = z.infer<typeof ChatRequest>;

const Byte = z.number().int().min(0).max(255);

/** One token's log-probability, as the spec has it: `bytes` is its UTF-8, null where there is none. */
export const TopLogprob = z.object({
  token: z.string(),
  logprob: z.number(),
  bytes: z.array(Byte).nullable(),
});
export type TopLogprob = z.output<typeof TopLogprob>;
export const TokenLogprob = TopLogprob.extend({ top_logprobs: z.array(TopLogprob) });
export type TokenLogprob = z.output<typeof TokenLogprob>;

// Readers also take servers that leave bytes or the alternatives out.
const TopLogprobAnswer = TopLogprob.extend({ bytes: z.array(Byte).nullish() });
export const TokenLogprobAnswer = TopLogprobAnswer.extend({
  top_logprobs: z.array(TopLogprobAnswer).nullish(),
});
export type TokenLogprobAnswer = z.output<typeof TokenLogprobAnswer>;

/**
 * A completion as a client reads it from any compatible server: only what it uses is checked, other
 * fields are let through.
 */
export const CompletionAnswer = z.looseObject({
  choices: z
    .array(
      z.looseObject({
        message: z.looseObject({ content: z.string().nullable(), refusal: z.string().nullish() }),
        logprobs: z.looseObject({ content: z.array(TokenLogprobAnswer).nullish() }).nullish(),
      }),
    )
    .min(1),
});

export interface Usage {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
}

type Logprobs = { content: TokenLogprob[]; refusal: null } | null;

/** What a completion and each of its chunks say about where they come from. */
interface CompletionHeader {
  id: string;
  created: number;
  model: string;
  system_fingerprint: string;
}

/** A completion as the teacher server sends it. */
export interface ChatCompletion extends CompletionHeader {
  object: "chat.completion";
  choices: {
    index: number;
    message: { role: "assistant"; content: string; refusal: null };
    logprobs: Logprobs;
    finish_reason: "stop";
  }[];
  usage: Usage;
}

/**
 * One server-sent event of a streamed completion (`stream: true`), as the teacher server sends it:
 * `usage` is present (null until the last chunk) only with `stream_options.include_usage`.
 */
export interface ChatCompletionChunk extends CompletionHeader {
  object: "chat.completion.chunk";
  choices: {
    index: number;
    delta: { role?: "assistant"; content?: string; refusal?: null };
    logprobs: Logprobs;
    finish_reason: "stop" | null;
  }[];
  usage?: Usage | null;
}
