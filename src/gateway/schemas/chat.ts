import { z } from "zod";
import { ChatRequest, TokenLogprob } from "../../core/openai-chat.ts";

/**
 * POST /v1/chat/completions (docs/api.md "POST /v1/chat/completions"): OpenAI's request, of which the
 * gateway reads the model, the messages (by the model's chat rule), response_format, logprobs,
 * top_logprobs, stream and stream_options; every other field is accepted and goes to the teacher as sent.
 */
export const ChatCompletionRequest = ChatRequest.meta({
  id: "ChatCompletionRequest",
  description:
    'OpenAI\'s chat completion request; "model" names a gateway model ("clinc150", "apprentice/clinc150" or its alias)',
});

const Usage = z.strictObject({
  prompt_tokens: z.number().int(),
  completion_tokens: z.number().int(),
  total_tokens: z.number().int(),
});

const Logprobs = z.strictObject({ content: z.array(TokenLogprob), refusal: z.null() }).nullable();

/** The student's (or the gateway's) completion; a teacher's answer is passed on as the teacher sent it. */
export const ChatCompletionResponse = z
  .strictObject({
    id: z.string().meta({ description: "chatcmpl-<request id>" }),
    object: z.literal("chat.completion"),
    created: z.number().int(),
    model: z.string(),
    system_fingerprint: z.string().meta({ description: "<model>@<version> that answered" }),
    choices: z
      .array(
        z.strictObject({
          index: z.number().int(),
          message: z.strictObject({ role: z.literal("assistant"), content: z.string(), refusal: z.null() }),
          logprobs: Logprobs,
          finish_reason: z.literal("stop"),
        }),
      )
      .length(1),
    usage: Usage,
  })
  .meta({ id: "ChatCompletion" });

/** Every error of the route, in OpenAI's shape so its SDKs raise their usual exceptions. */
export const OpenAiErrorResponse = z
  .strictObject({
    error: z.strictObject({
      message: z.string(),
      type: z
        .string()
        .meta({ description: "invalid_request_error, authentication_error, server_error, ..." }),
      param: z.string().nullable().meta({ description: "The request field at fault" }),
      code: z.string().meta({ description: 'The gateway\'s error code (docs/api.md "Errors")' }),
    }),
  })
  .meta({ id: "OpenAIError" });
