import type { Context, MiddlewareHandler } from "hono";
import { isOpenAiPath } from "../../chat/errors.ts";
import type { AppEnv } from "../../context.ts";
import { ApiError } from "../../errors.ts";
import type { OpenApiDocument } from "../../openapi.ts";
import { bearerToken } from "../admin-auth/index.ts";
import { isWellFormedKey, keyStoreFor } from "./store.ts";

/**
 * Client API keys for the inference API (mounted on /v1 and /v2 by app.ts), when CLIENT_AUTH=api-key.
 * - A key is sent as `Authorization: Bearer <key>` or `x-api-key: <key>` (both: they must agree, 400).
 * - No key: 401 with WWW-Authenticate. A key that is unknown, revoked or malformed: 403, one answer
 *   for all three. As on the admin side, 401 means "send credentials" and 403 "these are refused", so a
 *   client that sent a key learns it must get a new one rather than retry.
 * - CLIENT_AUTH=api-key without the API_KEYS binding: 503 for every request, never open by accident.
 * - The Open Inference Protocol's probes and server metadata (GET /v2, /v2/health/live, /v2/health/ready)
 *   need no key: Kubernetes probes and `is_server_live()` send none. They reveal no model and run nothing.
 *   Nor does OPTIONS, which only lists a path's methods.
 */
const CLIENT_REALM = 'Bearer realm="apprentice"';

/** The client paths open without a key, for GET (and so HEAD), as the OpenAPI document names them. */
export const KEYLESS_PATHS: readonly string[] = ["/v2", "/v2/health/live", "/v2/health/ready"];

/** The probes, and OPTIONS anywhere: it says only which methods a path takes. */
const keyless = (method: string, path: string): boolean =>
  method === "OPTIONS" ||
  ((method === "GET" || method === "HEAD") && KEYLESS_PATHS.includes(path.replace(/(.)\/$/, "$1")));

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
    if (c.var.services.config.access.clientAuth === "off" || keyless(c.req.method, c.req.path)) return next();
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

/**
 * The OpenAPI side: with CLIENT_AUTH=api-key every /v1 and /v2 operation needs a key (as a bearer token
 * or in x-api-key) and may answer 401, 403 and 429; with it off, the operations stay as declared, so the
 * document always describes this deployment.
 */
const CLIENT_KEY_SCHEMES = {
  clientKey: {
    type: "http",
    scheme: "bearer",
    description: "A client API key (POST /admin/keys), when CLIENT_AUTH=api-key.",
  },
  clientKeyHeader: {
    type: "apiKey",
    in: "header",
    name: "x-api-key",
    description: "The same client API key in x-api-key instead of Authorization.",
  },
} as const;

/** The refusals a key adds to an operation, in the error body of its surface (/v2: the protocol's). */
function refusals(path: string) {
  const schema = path.startsWith("/v2") ? "V2Error" : isOpenAiPath(path) ? "OpenAIError" : "Error";
  const errorBody = { "application/json": { schema: { $ref: `#/components/schemas/${schema}` } } };
  return {
    "401": { description: "No client API key", content: errorBody },
    "403": { description: "Unknown or revoked key", content: errorBody },
    "429": {
      description: "The key's rate limit; Retry-After says when to try again",
      headers: { "Retry-After": { schema: { type: "integer" } } },
      content: errorBody,
    },
  } as const;
}

const CLIENT_PATH = /^\/v[12](\/|$)/;

/** The document with the key requirement added to the client operations, when keys are required. */
export function withClientKeys(clientAuth: "off" | "api-key", doc: OpenApiDocument): OpenApiDocument {
  // Without keys the schemes would be components nothing uses.
  if (clientAuth === "off") return doc;
  const components = {
    ...doc.components,
    securitySchemes: { ...doc.components?.securitySchemes, ...CLIENT_KEY_SCHEMES },
  };
  const paths = Object.fromEntries(
    Object.entries(doc.paths ?? {}).map(([path, item]) => {
      if (!CLIENT_PATH.test(path) || KEYLESS_PATHS.includes(path)) return [path, item];
      const guarded = Object.fromEntries(
        Object.entries(item).map(([method, op]) => [
          method,
          {
            ...op,
            responses: { ...op.responses, ...refusals(path) },
            security: [{ clientKey: [] }, { clientKeyHeader: [] }],
          },
        ]),
      );
      return [path, guarded];
    }),
  );
  return { ...doc, paths, components };
}
