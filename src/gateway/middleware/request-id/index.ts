import type { Context, MiddlewareHandler } from "hono";
import { requestId as honoRequestId } from "hono/request-id";

/**
 * `x-request-id` on every response (docs/api.md "Request ids"). Hono's middleware does the work: it echoes an incoming
 * id when it is sane (1–MAX_LENGTH characters of [A-Za-z0-9_=-]: nothing that could smuggle a header or
 * a log line) and otherwise makes one with `generator` (crypto.randomUUID() by default; the gateway's
 * names an answer trail batch, feedback/trail-batch.ts). It must run first, so that error answers
 * rendered later by json-errors carry the header too. The id is `c.get("requestId")` for handlers.
 */
export const REQUEST_ID_HEADER = "x-request-id";
export const MAX_LENGTH = 128;

export function requestId(generator?: (c: Context) => string): MiddlewareHandler {
  return honoRequestId({
    headerName: REQUEST_ID_HEADER,
    limitLength: MAX_LENGTH,
    ...(generator ? { generator } : {}),
  });
}
