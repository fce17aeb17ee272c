import { describe, expect, it } from "vitest";
import { usePlatformProxy } from "../../../../test/helpers/platform-proxy.ts";
import { expectError, expectV2Error, post } from "../../../../test/workerd/gateway-helpers.ts";
import { createApp } from "../../app.ts";
import type { Env } from "../../bindings.ts";
import { ClientAccessEnvSchema } from "./config.ts";
import { KEYLESS_PATHS, withClientKeys } from "./index.ts";
import {
  CreatedKey,
  isWellFormedKey,
  KEY_ID_PATTERN,
  KeyCache,
  type KeyRecord,
  KeyStore,
  keyHash,
  newKey,
  newKeyId,
} from "./store.ts";

/**
 * Client API keys in Node, on the gateway app itself with miniflare's real KV (wrangler's
 * getPlatformProxy over wrangler.toml): the same promises as index.workerd.test.ts and
 * store.workerd.test.ts, pinned to their exact answers, so that Stryker's Node-only runner
 * (docs/mutation.md) can judge `src/gateway/middleware/api-key/`.
 */
const ADMIN_TOKEN = "node-admin-token-0123456789abcdef";
const admin = { authorization: `Bearer ${ADMIN_TOKEN}` };
const bearer = (key: string) => ({ authorization: `Bearer ${key}` });

const platform = usePlatformProxy();

const app = createApp();
const accessEnv = (extra: Env = {}): Env => ({
  ...platform.env,
  ADMIN_TOKEN,
  CLIENT_AUTH: "api-key",
  ...extra,
});

async function createKey(env: Env, name = "node client"): Promise<CreatedKey> {
  const res = await app.request("/admin/keys", post({ name }, admin), env);
  expect(res.status).toBe(201);
  return CreatedKey.parse(await res.json());
}

async function errorMessage(res: Response, status: number, code: string): Promise<string> {
  const message = ((await res.clone().json()) as { error: { message: string } }).error.message;
  await expectError(res, status, code);
  return message;
}

describe("the middleware", () => {
  it("401 names both ways to send a key, with the realm in WWW-Authenticate", async () => {
    const res = await app.request("/v1/models", {}, accessEnv());
    expect(res.headers.get("www-authenticate")).toBe('Bearer realm="apprentice"');
    expect(await errorMessage(res, 401, "unauthorized")).toBe(
      "an API key is needed: Authorization: Bearer <key> or x-api-key: <key>",
    );
  });

  it("an empty or blank x-api-key is no key at all", async () => {
    for (const blank of ["", "   "]) {
      const res = await app.request("/v1/models", { headers: { "x-api-key": blank } }, accessEnv());
      await expectError(res, 401, "unauthorized");
    }
  });

  it("a key in x-api-key is trimmed, and may stand beside the same key as a bearer token", async () => {
    const env = accessEnv();
    const { key } = await createKey(env);
    expect((await app.request("/v1/models", { headers: { "x-api-key": ` ${key} ` } }, env)).status).toBe(200);
    const both = { ...bearer(key), "x-api-key": key };
    expect((await app.request("/v1/models", { headers: both }, env)).status).toBe(200);
    const other = await createKey(env, "other");
    const mixed = await app.request(
      "/v1/models",
      { headers: { ...bearer(key), "x-api-key": other.key } },
      env,
    );
    expect(await errorMessage(mixed, 400, "invalid_request")).toBe(
      "Authorization and x-api-key carry different keys: send one",
    );
  });

  it("403 says the key is unknown or revoked, for a malformed, unknown or revoked key alike", async () => {
    const env = accessEnv();
    const made = await createKey(env);
    await app.request(`/admin/keys/${made.id}`, { method: "DELETE", headers: admin }, env);
    for (const key of ["apk_short", newKey(), `${newKey()}x`, made.key]) {
      const res = await app.request("/v1/models", { headers: bearer(key) }, env);
      expect(await errorMessage(res, 403, "forbidden")).toBe("the API key is not valid (unknown or revoked)");
    }
  });

  it("503 names the missing binding", async () => {
    const res = await app.request("/v1/models", {}, accessEnv({ API_KEYS: undefined }));
    expect(await errorMessage(res, 503, "not_configured")).toBe(
      "CLIENT_AUTH is api-key but the API_KEYS KV namespace is not bound: every client request is refused",
    );
  });

  it("is off by default and with CLIENT_AUTH=off, even without the binding", async () => {
    const off = { ...platform.env, API_KEYS: undefined };
    expect((await app.request("/v1/models", {}, off)).status).toBe(200);
    expect((await app.request("/v1/models", {}, { ...off, CLIENT_AUTH: "off" })).status).toBe(200);
  });

  it("opens only the probes, for GET and HEAD, with or without a trailing slash; and OPTIONS anywhere", async () => {
    expect(KEYLESS_PATHS).toEqual(["/v2", "/v2/health/live", "/v2/health/ready"]);
    const env = accessEnv();
    for (const path of ["/v2", "/v2/", "/v2/health/live", "/v2/health/ready"]) {
      expect((await app.request(path, {}, env)).status, path).toBe(200);
      expect((await app.request(path, { method: "HEAD" }, env)).status, path).toBe(200);
    }
    // A trailing slash is the same probe to the key check (the router then has its own answer).
    expect((await app.request("/v2/health/live/", {}, env)).status).not.toBe(401);
    expect((await app.request("/v1/models", { method: "OPTIONS" }, env)).status).not.toBe(401);
    for (const path of ["/v2/health", "/v2/models/clinc150/ready", "/v2/health/live/x", "/v2//"]) {
      await expectV2Error(await app.request(path, {}, env), 401, "unauthorized");
    }
    await expectV2Error(await app.request("/v2/health/live", { method: "POST" }, env), 401, "unauthorized");
  });
});

describe("the OpenAPI document", () => {
  const doc = {
    openapi: "3.1.0",
    info: { title: "t", version: "1" },
    components: { securitySchemes: { adminToken: { type: "http", scheme: "bearer" } } },
    paths: {
      "/v1/models": { get: { responses: { "200": { description: "ok" } } } },
      "/v2/models/{name}/infer": { post: { responses: { "200": { description: "ok" } } } },
      "/v2": { get: { responses: { "200": { description: "ok" } } } },
      "/v10/x": { get: { responses: { "200": { description: "ok" } } } },
      "/admin/keys": { get: { responses: { "200": { description: "ok" } } } },
    },
  } as unknown as Parameters<typeof withClientKeys>[1];

  it("is unchanged with keys off", () => {
    expect(withClientKeys("off", doc)).toBe(doc);
  });

  it("adds the schemes beside the others, security and the three refusals to /v1 and /v2 operations only", () => {
    const out = withClientKeys("api-key", doc) as unknown as {
      components: { securitySchemes: Record<string, { type: string; name?: string; in?: string }> };
      paths: Record<string, Record<string, { security?: unknown; responses: Record<string, unknown> }>>;
    };
    expect(Object.keys(out.components.securitySchemes)).toEqual([
      "adminToken",
      "clientKey",
      "clientKeyHeader",
    ]);
    expect(out.components.securitySchemes.clientKey).toMatchObject({ type: "http", scheme: "bearer" });
    expect(out.components.securitySchemes.clientKeyHeader).toMatchObject({
      type: "apiKey",
      in: "header",
      name: "x-api-key",
    });
    const security = [{ clientKey: [] }, { clientKeyHeader: [] }];
    const models = out.paths["/v1/models"]!.get!;
    expect(models.security).toEqual(security);
    expect(Object.keys(models.responses)).toEqual(["200", "401", "403", "429"]);
    expect(JSON.stringify(models.responses["401"])).toContain('"#/components/schemas/Error"');
    expect(models.responses["429"]).toMatchObject({
      headers: { "Retry-After": { schema: { type: "integer" } } },
    });
    const infer = out.paths["/v2/models/{name}/infer"]!.post!;
    expect(infer.security).toEqual(security);
    expect(JSON.stringify(infer.responses["403"])).toContain('"#/components/schemas/V2Error"');
    for (const path of ["/v2", "/v10/x", "/admin/keys"]) {
      expect(out.paths[path]!.get!.security, path).toBeUndefined();
      expect(Object.keys(out.paths[path]!.get!.responses), path).toEqual(["200"]);
    }
  });
});

describe("the configuration", () => {
  it("CLIENT_AUTH is off unless set; RATE_LIMIT_PERIOD_S is 60 unless set, and only 10 or 60", () => {
    const parsed = ClientAccessEnvSchema.parse({});
    expect(parsed.CLIENT_AUTH).toBe("off");
    expect(parsed.RATE_LIMIT_PERIOD_S).toBe(60);
    expect(ClientAccessEnvSchema.parse({ RATE_LIMIT_PERIOD_S: " 10 " }).RATE_LIMIT_PERIOD_S).toBe(10);
    expect(ClientAccessEnvSchema.parse({ RATE_LIMIT_PERIOD_S: 60 }).RATE_LIMIT_PERIOD_S).toBe(60);
    const wrong = ClientAccessEnvSchema.safeParse({ RATE_LIMIT_PERIOD_S: "30" });
    expect(wrong.success).toBe(false);
    expect(wrong.error?.issues[0]?.message).toBe("must be 10 or 60, the binding's period");
  });
});

describe("keys and their store", () => {
  it("a key is apk_ and 43 base64url characters; an id is 16 hex digits", () => {
    const keys = Array.from({ length: 200 }, newKey);
    for (const key of keys) {
      expect(key).toMatch(/^apk_[A-Za-z0-9_-]{43}$/);
      expect(isWellFormedKey(key)).toBe(true);
    }
    // Over 200 keys of 32 random bytes, both URL-safe characters turn up (never + or /).
    expect(keys.some((k) => k.includes("-")) && keys.some((k) => k.includes("_"))).toBe(true);
    expect(new Set(keys).size).toBe(keys.length);
    for (const bad of [
      "apk_",
      `apk_${"a".repeat(42)}`,
      `apk_${"a".repeat(44)}`,
      `x${newKey()}`,
      `apk_${"+".repeat(43)}`,
    ])
      expect(isWellFormedKey(bad), bad).toBe(false);
    for (let i = 0; i < 50; i++) expect(newKeyId()).toMatch(/^[0-9a-f]{16}$/);
    expect(KEY_ID_PATTERN.test("0123456789abcdef")).toBe(true);
    expect(KEY_ID_PATTERN.test("0123456789abcdef0")).toBe(false);
    expect(KEY_ID_PATTERN.test("0123456789ABCDEF")).toBe(false);
  });

  it("stores only the key's SHA-256: a record under hash/, the id under id/ with the record as metadata", async () => {
    const kv = platform.env.API_KEYS!;
    const at = new Date("2026-05-01T10:00:00.000Z");
    const { key, ...record } = await new KeyStore(kv, new KeyCache()).create("stored", at);
    expect(record).toEqual({
      id: record.id,
      name: "stored",
      created_at: "2026-05-01T10:00:00.000Z",
      revoked_at: null,
    });
    const hash = await keyHash(key);
    expect(hash).toMatch(/^[0-9a-f]{64}$/);
    expect(await kv.get(`hash/${hash}`, "json")).toEqual(record);
    const entry = await kv.getWithMetadata(`id/${record.id}`, "json");
    expect(entry).toMatchObject({ value: { hash }, metadata: record });
  });

  it("revoking twice keeps the first time; the record is kept, and the store's own cache knows at once", async () => {
    const kv = platform.env.API_KEYS!;
    const store = new KeyStore(kv, new KeyCache());
    const { key, id } = await store.create("revoked", new Date("2026-05-01T10:00:00.000Z"));
    expect((await store.lookup(key))?.revoked_at).toBeNull();
    const first = await store.revoke(id, new Date("2026-05-02T10:00:00.000Z"));
    expect(first?.revoked_at).toBe("2026-05-02T10:00:00.000Z");
    expect((await store.revoke(id, new Date("2026-05-03T10:00:00.000Z")))?.revoked_at).toBe(
      "2026-05-02T10:00:00.000Z",
    );
    expect((await store.lookup(key))?.revoked_at).toBe("2026-05-02T10:00:00.000Z");
    expect(await new KeyStore(kv, new KeyCache()).lookup(key)).toEqual(first);
    expect((await kv.getWithMetadata(`id/${id}`, "json")).metadata).toEqual(first);
  });

  it("lists every key oldest first (ties by id), skipping entries with invalid metadata", async () => {
    const kv = platform.env.API_KEYS!;
    const store = new KeyStore(kv, new KeyCache());
    const late = await store.create("late", new Date("2026-05-03T00:00:00.000Z"));
    const early = await store.create("early", new Date("2026-05-01T00:00:00.000Z"));
    const tie = [
      await store.create("tie", new Date("2026-05-02T00:00:00.000Z")),
      await store.create("tie", new Date("2026-05-02T00:00:00.000Z")),
    ].sort((a, b) => a.id.localeCompare(b.id));
    await kv.put("id/ffffffffffffffff", JSON.stringify({ hash: "0".repeat(64) }), {
      metadata: { id: "bad" },
    });
    const listed = (await store.list()).map((r) => r.id);
    const mine = new Set([late.id, early.id, tie[0]!.id, tie[1]!.id]);
    expect(listed.filter((id) => mine.has(id))).toEqual([early.id, tie[0]!.id, tie[1]!.id, late.id]);
    expect(listed).not.toContain("bad");
  });

  it("a stored value that is not a record is refused, and the refusal is cached like any miss", async () => {
    const kv = platform.env.API_KEYS!;
    const key = newKey();
    const hash = await keyHash(key);
    await kv.put(`hash/${hash}`, JSON.stringify({ id: "nope", name: 1 }));
    const cache = new KeyCache();
    expect(await new KeyStore(kv, cache).lookup(key)).toBeNull();
    expect(cache.get(hash)).toBeNull();
  });

  it("the cache forgets on delete, and refreshes an entry set again", () => {
    let now = 0;
    const cache = new KeyCache(100, () => now);
    const record: KeyRecord = {
      id: "00000000000000aa",
      name: "c",
      created_at: "2026-01-01T00:00:00.000Z",
      revoked_at: null,
    };
    cache.set("a", record);
    cache.delete("a");
    expect(cache.get("a")).toBeUndefined();
    cache.set("a", null);
    now = 99;
    cache.set("a", record);
    now = 150;
    expect(cache.get("a")).toEqual(record);
    expect(new KeyCache().ttlMs).toBe(5_000);
  });
});
