import { createRoute } from "@hono/zod-openapi";
import { z } from "zod";
import type { AppContext, AppEnv } from "../../context.ts";
import { ApiError, parseRequest } from "../../errors.ts";
import { KEY_ID_PATTERN, type KeyStore, keyStoreFor } from "../../middleware/api-key/store.ts";
import { jsonBody } from "../../middleware/json-body/index.ts";
import { documentedApp, jsonContent, jsonRequest, mount } from "../../openapi.ts";
import { adminRoute } from "../route.ts";
import { CreatedKey, CreateKeyRequest, KeyInfo, KeyList } from "./schemas.ts";

/**
 * Client API keys (docs/admin-api.md "API keys"): make one (the key is in this answer only), list them,
 * revoke one. A revocation takes effect at once in the isolate that made it, within the key cache's TTL
 * (middleware/api-key/store.ts) in other isolates of the same location, and after KV's propagation
 * (about a minute) elsewhere. 503 not_configured without the API_KEYS binding.
 */
const MAX_CREATE_BODY = 4096;

function store(c: AppContext): KeyStore {
  const kv = c.env?.API_KEYS;
  if (!kv) throw new ApiError(503, "not_configured", "the API_KEYS KV namespace is not bound");
  return keyStoreFor(kv);
}

function keyId(c: AppContext): string {
  const id = c.req.param("id") ?? "";
  if (!KEY_ID_PATTERN.test(id)) throw new ApiError(400, "invalid_request", "id: must be 16 hex digits");
  return id;
}

const listRoute = adminRoute(
  createRoute({
    method: "get",
    path: "/admin/keys",
    operationId: "listKeys",
    summary: "Client API keys (CLIENT_AUTH=api-key), revoked ones included; never a key or its hash",
    responses: { 200: jsonContent(KeyList, "OK") },
  }),
);

const createKeyRoute = adminRoute(
  createRoute({
    method: "post",
    path: "/admin/keys",
    operationId: "createKey",
    summary: "Make a client API key: the answer is the only time the key is shown",
    request: { body: jsonRequest(CreateKeyRequest) },
    responses: { 201: jsonContent(CreatedKey, "Made (Cache-Control: no-store)") },
  }),
  400,
  413,
  415,
);

const revokeRoute = adminRoute(
  createRoute({
    method: "delete",
    path: "/admin/keys/{id}",
    operationId: "revokeKey",
    summary: "Revoke a client API key (again: no change)",
    description:
      "Refused at once by the isolate that revoked it, within 5 s by other isolates of that location, and after KV propagation (about a minute) elsewhere.",
    request: {
      params: z.object({
        id: z.string().regex(KEY_ID_PATTERN).meta({ description: "The key's id (16 hex digits)" }),
      }),
    },
    responses: { 200: jsonContent(KeyInfo, "The revoked key") },
  }),
  400,
  404,
);

export const keyAdminRoutes = documentedApp();
mount(keyAdminRoutes, listRoute, async (c) => c.json({ keys: await store(c).list() }));
mount(keyAdminRoutes, createKeyRoute, jsonBody<AppEnv>({ maxBytes: () => MAX_CREATE_BODY }), async (c) => {
  const { name } = parseRequest(CreateKeyRequest, c.var.jsonBody);
  const created = await store(c).create(name, new Date());
  // The answer holds a secret: no cache may keep it.
  return c.json(created, 201, { "cache-control": "no-store" });
});
mount(keyAdminRoutes, revokeRoute, async (c) => {
  const id = keyId(c);
  const revoked = await store(c).revoke(id, new Date());
  if (revoked === null) throw new ApiError(404, "key_not_found", `no API key with id ${id}`);
  return c.json(revoked);
});
