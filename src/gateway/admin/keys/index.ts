import { Hono } from "hono";
import type { AppContext, AppEnv } from "../../context.ts";
import { ApiError, parseRequest } from "../../errors.ts";
import { KEY_ID_PATTERN } from "../../middleware/api-key/key.ts";
import { type KeyStore, keyStoreFor } from "../../middleware/api-key/store.ts";
import { jsonBody } from "../../middleware/json-body/index.ts";
import { CreateKeyRequest } from "./schemas.ts";

/**
 * Client API keys (docs/admin-api.md "API keys"): make one (the key is in this answer only), list them,
 * revoke one. A revocation takes effect at once in the isolate that made it, within the key cache's TTL
 * (middleware/api-key/cache.ts) in other isolates of the same location, and after KV's propagation
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

export const keyAdminRoutes = new Hono<AppEnv>()
  .get("/admin/keys", async (c) => c.json({ keys: await store(c).list() }))
  .post("/admin/keys", jsonBody<AppEnv>({ maxBytes: () => MAX_CREATE_BODY }), async (c) => {
    const { name } = parseRequest(CreateKeyRequest, c.var.jsonBody);
    const { record, key } = await store(c).create(name, new Date());
    // The answer holds a secret: no cache may keep it.
    return c.json({ ...record, key }, 201, { "cache-control": "no-store" });
  })
  .delete("/admin/keys/:id", async (c) => {
    const id = keyId(c);
    const revoked = await store(c).revoke(id, new Date());
    if (revoked === null) throw new ApiError(404, "key_not_found", `no API key with id ${id}`);
    return c.json(revoked);
  });
