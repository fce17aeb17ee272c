import { createRoute } from "@hono/zod-openapi";
import { z } from "zod";
import { answerChat, DEGRADED_HEADER, SOURCE_HEADER, VERSION_HEADER } from "../chat/answer.ts";
import { CHAT_PATH } from "../chat/errors.ts";
import { parseChatQuery } from "../chat/request.ts";
import type { AppEnv } from "../context.ts";
import { jsonBody } from "../middleware/json-body/index.ts";
import { documentedApp, jsonContent, mount } from "../openapi.ts";
import { ChatCompletionRequest, ChatCompletionResponse, OpenAiErrorResponse } from "../schemas/chat.ts";

/**
 * POST /v1/chat/completions (docs/api.md "POST /v1/chat/completions"): OpenAI's chat completions for the
 * gateway's models, so a client that classifies through an OpenAI SDK changes only its base URL and model.
 */
const answerHeaders = z.object({
  [SOURCE_HEADER]: z.enum(["student", "teacher", "cache"]).meta({ description: "Who answered" }),
  [VERSION_HEADER]: z.string().meta({ description: 'The student version that decided ("none": no student)' }),
  [DEGRADED_HEADER]: z
    .string()
    .optional()
    .meta({ description: "Set when the teacher failed and the student answered: the failure kind" }),
});

const openAiErrors = (...statuses: number[]) =>
  Object.fromEntries(
    statuses.map((s) => [String(s), jsonContent(OpenAiErrorResponse, "Error (OpenAI's shape)")]),
  );

const chatRoute = createRoute({
  method: "post",
  path: CHAT_PATH,
  operationId: "createChatCompletion",
  summary: "Classify the text of a chat request (OpenAI chat completions)",
  request: { body: { required: true, content: { "application/json": { schema: ChatCompletionRequest } } } },
  responses: {
    200: {
      description:
        "A completion whose content is the label; with stream: true, server-sent chat.completion.chunk events. " +
        "A teacher's answer is passed on as the teacher sent it (its status too).",
      headers: answerHeaders,
      content: {
        "application/json": { schema: ChatCompletionResponse },
        "text/event-stream": {
          schema: z.string().meta({ description: "data: <chunk JSON> events, then data: [DONE]" }),
        },
      },
    },
    ...openAiErrors(400, 404, 413, 415, 500, 503),
  },
});

export const chatRoutes = mount(
  documentedApp(),
  chatRoute,
  jsonBody<AppEnv>({ maxBytes: (c) => c.var.services.config.limits.maxBodyBytes }),
  (c) => {
    const { registry, config } = c.var.services;
    return answerChat(c, parseChatQuery(c.var.jsonBody, registry, config.limits));
  },
);
