import type { Context, ErrorHandler, MiddlewareHandler, NotFoundHandler } from "hono";
import { HTTPException } from "hono/http-exception";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { isOpenAiPath, openAiErrorType } from "../../chat/errors.ts";
import { ApiError, ERROR_CODE_HEADER, type ErrorCode } from "../../errors.ts";

/**
 * Every 4xx/5xx of the gateway is `{"error": {"code", "message"}}` (docs/api.md "Errors"): never HTML, never a stack.
 * Under /v2 it is the Open Inference Protocol's `{"error": "<message>"}`, which Triton and KServe clients
 * read, with the code in the `x-error-code` header instead; on POST /v1/chat/completions it is OpenAI's
 * `{"error": {"message", "type", "param", "code"}}`, which OpenAI SDKs read. Three pieces, because errors reach a response three ways in Hono: thrown (onError), no route
 * (notFound), or a Response some middleware built itself (the safety net below rewrites those).
 */

const CODE_BY_STATUS: Partial<Record<number, ErrorCode>> = {
  400: "invalid_request",
  404: "not_found",
  413: "payload_too_large",
  415: "unsupported_media_type",
};

const V2_PATH = /^\/v2(\/|$)/;

function render(
  c: Context,
  status: ContentfulStatusCode,
  code: ErrorCode,
  message: string,
  headers: Readonly<Record<string, string>> = {},
  param: string | null = null,
): Response {
  if (V2_PATH.test(c.req.path))
    return c.json({ error: message }, status, { ...headers, [ERROR_CODE_HEADER]: code });
  if (isOpenAiPath(c.req.path))
    return c.json({ error: { message, type: openAiErrorType(status), param, code } }, status, headers);
  return c.json({ error: { code, message } }, status, headers);
}

/** app.onError: ApiError as it says; Hono's HTTPException by its status; anything else a bare 500. */
export const onError: ErrorHandler = (err, c) => {
  if (err instanceof ApiError) {
    if (err.status >= 500) console.error(`${err.code}: ${err.message}`);
    return render(c, err.status, err.code, err.message, err.headers, err.param);
  }
  if (err instanceof HTTPException && err.status < 500) {
    const status = err.status as ContentfulStatusCode;
    return render(c, status, CODE_BY_STATUS[status] ?? "invalid_request", err.message || "bad request");
  }
  // Unexpected: the details go to the log only.
  console.error(err);
  return render(c, 500, "internal", "internal error");
};

/** app.notFound. */
export const notFound: NotFoundHandler = (c) =>
  render(c, 404, "not_found", `no route for ${c.req.method} ${new URL(c.req.url).pathname}`);

const isJson = (res: Response): boolean =>
  /^application\/json\b/i.test(res.headers.get("content-type") ?? "");

/** Safety net: an error response that is not JSON (a library's plain-text 4xx, say) is re-rendered as JSON. */
export function jsonErrors(): MiddlewareHandler {
  return async (c, next) => {
    await next();
    const { status } = c.res;
    if (status < 400 || isJson(c.res)) return;
    const code = CODE_BY_STATUS[status] ?? (status >= 500 ? "internal" : "invalid_request");
    const message = status >= 500 ? "internal error" : (await c.res.text()) || `HTTP ${status}`;
    // Replacing c.res keeps the headers already set on the context (x-request-id).
    c.res = undefined;
    c.res = render(c, status as ContentfulStatusCode, code, message.slice(0, 200));
  };
}
