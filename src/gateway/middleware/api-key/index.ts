import type { Context, MiddlewareHandler } from "hono";
import type { AppEnv } from "../../context.ts";
import { ApiError } from "../../errors.ts";
import { bearerToken } from "../admin-auth/index.ts";
import { isWellFormedKey } from "./key.ts";
import { keyStoreFor } from "./store.ts";

/**
 * Client API keys for the inference API (mounted on /v1 and /v2 by app.ts), when CLIENT_AUTH=api-key.
 * - A key is sent as `Authorization: Bearer <key>` or `x-api-key: <key>` (both: they must agree, 400).
 * - No key: 401 with WWW-Authenticate. A key that is unknown, revoked or malformed: 403, one answer
 *   for all three. As on the admin side, 401 means "send credentials" and 403 "these are refused", so a
 *   client that sent a key learns it must get a new one rather than retry.
 * - CLIENT_AUTH=api-key without the API_KEYS binding: 503 for every request, never open by accident.
 */
const CLIENT_REALM = 'Bearer realm="apprentice"';

/** The key a request presents, undefined when none; 400 when its two headers disagree. */
function presentedKey(c: Context): string | undefined {
  const header = c.req.header("x-api-key")?.trim() || undefined;
  const bearer = bearerToken(c.req.header("authorization"));
  if (header !== undefined && bearer !== undefined && header !== bearer)
    throw new ApiError(400, "invalid_request", "Authorization and x-api-key carry different keys: send one");
  return header ?? bearer;
}

export function apiKeyAuth(): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    if (c.var.services.config.access.clientAuth === "off") return next();
    const kv = c.env?.API_KEYS;
    if (!kv)
      throw new ApiError(
        503,
        "not_configured",
        "CLIENT_AUTH is api-key but the API_KEYS KV namespace is not bound: every client request is refused",
      );
    const key = presentedKey(c);
    if (key === undefined) {
      // Kept by the error answer: the error handler renders on this same context.
      c.header("WWW-Authenticate", CLIENT_REALM);
      throw new ApiError(
        401,
        "unauthorized",
        "an API key is needed: Authorization: Bearer <key> or x-api-key: <key>",
      );
    }
    const record = isWellFormedKey(key) ? await keyStoreFor(kv).lookup(key) : null;
    if (record === null || record.revoked_at !== null)
      throw new ApiError(403, "forbidden", "the API key is not valid (unknown or revoked)");
    c.set("apiKey", { id: record.id, name: record.name });
    await next();
  };
}
