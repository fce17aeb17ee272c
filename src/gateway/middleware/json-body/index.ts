import type { Context, MiddlewareHandler } from "hono";
import { bodyLimit } from "hono/body-limit";
import { ApiError } from "../../errors.ts";

/**
 * For routes that take a JSON body: 415 unless the content type is application/json, 413 over the size
 * limit (checked against Content-Length when given, and while streaming when not, via Hono's bodyLimit),
 * 400 when the bytes are not JSON. The parsed value is `c.get("jsonBody")`; schemas validate it later.
 */
export type JsonBodyVariables = { jsonBody: unknown };

export interface JsonBodyOptions<E extends { Variables: JsonBodyVariables }> {
  /** The limit in bytes; a function so it can come from per-env configuration. */
  maxBytes: (c: Context<E>) => number;
}

// application/json, with parameters (charset) allowed; application/problem+json-style suffixes are not
// the API's type, so they are refused like any other.
const JSON_TYPE = /^application\/json\s*(;|$)/i;

export function jsonBody<E extends { Variables: JsonBodyVariables }>(
  options: JsonBodyOptions<E>,
): MiddlewareHandler<E> {
  return async (c, next) => {
    const type = c.req.header("content-type") ?? "";
    if (!JSON_TYPE.test(type))
      throw new ApiError(415, "unsupported_media_type", "content-type must be application/json");
    const maxSize = options.maxBytes(c);
    const limit = bodyLimit({
      maxSize,
      onError: () => {
        throw new ApiError(413, "payload_too_large", `the body is larger than ${maxSize} bytes`);
      },
    });
    return limit(c, async () => {
      const text = await c.req.text();
      let value: unknown;
      try {
        value = JSON.parse(text);
      } catch {
        throw new ApiError(400, "invalid_json", "the body is not valid JSON");
      }
      c.set("jsonBody", value);
      await next();
    });
  };
}
