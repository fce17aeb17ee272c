import type { ContentfulStatusCode } from "hono/utils/http-status";
import { ApiError, type ErrorCode } from "../errors.ts";

/**
 * OpenAI's error shape on the chat completions route, `{"error": {"message", "type", "param", "code"}}`,
 * so an OpenAI SDK raises its usual exception (BadRequestError, AuthenticationError, ...) with our message.
 * The json-errors middleware renders it for every error of the route, the access middleware's included.
 */
export const CHAT_PATH = "/v1/chat/completions";

export const isOpenAiPath = (path: string): boolean => path.replace(/\/$/, "") === CHAT_PATH;

/** OpenAI's `type` for a status. */
export function openAiErrorType(status: number): string {
  if (status === 401) return "authentication_error";
  if (status === 403) return "permission_error";
  if (status === 429) return "rate_limit_error";
  if (status >= 500) return "server_error";
  return "invalid_request_error";
}

/** A 4xx naming the request field at fault. */
export function chatError(
  param: string | null,
  message: string,
  code: ErrorCode = "invalid_request",
  status: ContentfulStatusCode = 400,
): ApiError {
  return new ApiError(status, code, message, {}, param);
}

/** Something a chat client may send that the gateway cannot honour: a 400 rather than a wrong answer. */
export const unsupported = (param: string, message: string): ApiError =>
  new ApiError(400, "unsupported_parameter", message, {}, param);
