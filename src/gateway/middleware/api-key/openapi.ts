/**
 * The OpenAPI side of client API keys: with CLIENT_AUTH=api-key, every /v1 and /v2 operation needs a key
 * (as a bearer token or in x-api-key) and may answer 401, 403 and 429; with it off, the document stays
 * as it is, so it always describes this deployment.
 */
type Json = Record<string, unknown>;

export const clientKeySecuritySchemes = {
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
};

const refusals = {
  "401": {
    description: "No client API key",
    content: { "application/json": { schema: { $ref: "#/components/schemas/Error" } } },
  },
  "403": {
    description: "Unknown or revoked key",
    content: { "application/json": { schema: { $ref: "#/components/schemas/Error" } } },
  },
  "429": {
    description: "The key's rate limit; Retry-After says when to try again",
    headers: { "Retry-After": { schema: { type: "integer" } } },
    content: { "application/json": { schema: { $ref: "#/components/schemas/Error" } } },
  },
};

const CLIENT_PATH = /^\/v[12](\/|$)/;

/** The paths with key requirements added to the client operations when keys are required. */
export function withClientKeys(
  clientAuth: "off" | "api-key",
  paths: Record<string, Json>,
): Record<string, Json> {
  if (clientAuth === "off") return paths;
  return Object.fromEntries(
    Object.entries(paths).map(([path, operations]) => {
      if (!CLIENT_PATH.test(path)) return [path, operations];
      const guarded = Object.fromEntries(
        Object.entries(operations).map(([method, op]) => {
          const operation = op as Json;
          const responses = { ...(operation.responses as Json), ...refusals };
          return [
            method,
            { ...operation, responses, security: [{ clientKey: [] }, { clientKeyHeader: [] }] },
          ];
        }),
      );
      return [path, guarded];
    }),
  );
}
