import { randomUUID } from "node:crypto";
import {
  answerContent,
  answerIndex,
  answerLogprobs,
  estimateTokens,
  messageText,
  textToClassify,
} from "../core/openai-answer.ts";
import { type ChatCompletion, ChatRequest } from "../core/openai-chat.ts";
import { completionChunks } from "../core/openai-stream.ts";
import { checkText, parseRequest, type TeacherContext } from "./context.ts";
import { HttpError } from "./http.ts";
import type { TeacherModel } from "./model.ts";
import { answerFormat } from "./openai-format.ts";
import type { Reply, Route, RouteRequest } from "./router.ts";

/**
 * OpenAI-compatible routes: `POST /v1/chat/completions`, `GET /v1/models`, `GET /v1/models/{id}`.
 * The prompt, answer and logprobs conventions are documented in src/core/openai-answer.ts, `response_format` in
 * openai-format.ts, `stream` in src/core/openai-stream.ts. `n` choices are all the same answer: the teacher is
 * deterministic. Errors have OpenAI's shape `{"error": {"message", "type", "param", "code"}}` (see
 * router.ts).
 */
function modelFor(ctx: TeacherContext, name: string): TeacherModel {
  const model = ctx.models.get(name);
  if (!model) throw new HttpError(404, `The model '${name}' does not exist`, "model_not_found", "model");
  return model;
}

function modelObject(model: TeacherModel, created: number) {
  return { id: model.name, object: "model", created, owned_by: "apprentice" };
}

async function chatCompletion(ctx: TeacherContext, { body }: RouteRequest): Promise<Reply> {
  const request = parseRequest(ChatRequest, body);
  const model = modelFor(ctx, request.model);
  const format = answerFormat(request, model);
  const lastUser = request.messages.findLast((m) => m.role === "user");
  if (!lastUser)
    throw new HttpError(400, "messages: no user message to classify", "invalid_request", "messages");
  const text = checkText(textToClassify(messageText(lastUser)), "messages");

  await ctx.chaos.beforeInference();
  const [prediction] = await model.predict([text]);
  const label = model.labels[answerIndex(prediction!, model.labels, format)]!;
  const tokens = answerLogprobs(prediction!, model.labels, request.top_logprobs ?? null, format);
  const n = request.n ?? 1;
  const promptTokens = estimateTokens(request.messages.map(messageText));
  const completion: ChatCompletion = {
    id: `chatcmpl-${randomUUID().replaceAll("-", "")}`,
    object: "chat.completion",
    created: Math.floor(Date.now() / 1000),
    model: model.name,
    system_fingerprint: `${model.name}@${model.version}`,
    choices: Array.from({ length: n }, (_, index) => ({
      index,
      message: { role: "assistant", content: answerContent(label, format), refusal: null },
      logprobs: request.logprobs ? { content: tokens, refusal: null } : null,
      finish_reason: "stop",
    })),
    usage: {
      prompt_tokens: promptTokens,
      completion_tokens: n * tokens.length,
      total_tokens: promptTokens + n * tokens.length,
    },
  };
  if (!request.stream) return { body: completion };
  const includeUsage = request.stream_options?.include_usage === true;
  return { events: completionChunks(completion, Array(n).fill(tokens), includeUsage) };
}

export function openaiRoutes(ctx: TeacherContext): Route[] {
  // OpenAI's `created` is when a model was made; the teacher manifest has no date, so use start-up time.
  const created = Math.floor(Date.now() / 1000);
  return [
    {
      method: "POST",
      path: "/v1/chat/completions",
      surface: "openai",
      json: true,
      handle: (r) => chatCompletion(ctx, r),
    },
    {
      method: "GET",
      path: "/v1/models",
      surface: "openai",
      handle: () => ({
        body: { object: "list", data: [...ctx.models.values()].map((m) => modelObject(m, created)) },
      }),
    },
    {
      method: "GET",
      path: "/v1/models/:model",
      surface: "openai",
      handle: (r) => ({ body: modelObject(modelFor(ctx, r.params.model!), created) }),
    },
  ];
}
