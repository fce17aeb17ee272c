import { describe, expect, it } from "vitest";
import { componentValidator } from "../../../../test/helpers/openapi.ts";
import {
  accessEnv,
  admin,
  bindings,
  createKey,
  gatewayApp,
} from "../../../../test/workerd/access-helpers.ts";
import { expectError, post } from "../../../../test/workerd/gateway-helpers.ts";
import { sha256Hex } from "../../../core/digest.ts";
import { CreatedKey, KeyInfo, KeyList } from "./schemas.ts";

/**
 * The admin key routes with miniflare's real KV: a key is shown once and stored only as its SHA-256, the
 * list never shows a key or a hash, revocation is idempotent, and every refusal is a JSON error.
 */
const app = gatewayApp();
const kv = bindings.API_KEYS!;
const del = { method: "DELETE", headers: admin };
const listKeys = async () => {
  const res = await app.request("/admin/keys", { headers: admin }, accessEnv());
  expect(res.status).toBe(200);
  return KeyList.parse(await res.json()).keys;
};

/** Every key, value and metadata in the API_KEYS namespace, as one string. */
async function dumpNamespace(): Promise<string> {
  const parts: string[] = [];
  let cursor: string | undefined;
  do {
    const page = await kv.list({ ...(cursor ? { cursor } : {}) });
    for (const { name, metadata } of page.keys)
      parts.push(name, JSON.stringify(metadata), (await kv.get(name)) ?? "");
    cursor = page.list_complete ? undefined : page.cursor;
  } while (cursor);
  return parts.join("\n");
}

describe("POST /admin/keys", () => {
  it("makes a key, shows it once (no-store), and keeps only its SHA-256", async () => {
    const res = await app.request("/admin/keys", post({ name: "  mobile app  " }, admin), accessEnv());
    expect(res.status).toBe(201);
    expect(res.headers.get("cache-control")).toBe("no-store");
    const created = CreatedKey.parse(await res.json());
    expect(created.key).toMatch(/^apk_[A-Za-z0-9_-]{43}$/);
    expect(created).toMatchObject({ name: "mobile app", revoked_at: null });
    expect(Math.abs(Date.parse(created.created_at) - Date.now())).toBeLessThan(60_000);
    const stored = await dumpNamespace();
    expect(stored).not.toContain(created.key);
    expect(stored).not.toContain(created.key.slice(4));
    expect(await kv.get(`hash/${await sha256Hex(created.key)}`, "json")).toEqual({
      id: created.id,
      name: "mobile app",
      created_at: created.created_at,
      revoked_at: null,
    });
  });

  it("never makes the same key or id twice", async () => {
    const made = await Promise.all([1, 2, 3, 4].map(() => createKey(app, accessEnv(), "same name")));
    expect(new Set(made.map((k) => k.key)).size).toBe(4);
    expect(new Set(made.map((k) => k.id)).size).toBe(4);
  });

  it.each([
    ["no name", {}],
    ["an empty name", { name: "   " }],
    ["a name of 101 characters", { name: "n".repeat(101) }],
    ["a control character", { name: "bad\u0007name" }],
    ["a name that is not a string", { name: 42 }],
    ["an unknown field", { name: "ok", scopes: ["all"] }],
    ["an array", [{ name: "ok" }]],
  ])("400 invalid_request for %s", async (_n, body) => {
    const res = await app.request("/admin/keys", post(body, admin), accessEnv());
    await expectError(res, 400, "invalid_request");
  });

  it("400 for a body that is not JSON, 415 for another type, 413 for a huge one", async () => {
    await expectError(
      await app.request("/admin/keys", post("{name:", admin), accessEnv()),
      400,
      "invalid_json",
    );
    const text = { method: "POST", headers: { ...admin, "content-type": "text/plain" }, body: "x" };
    await expectError(await app.request("/admin/keys", text, accessEnv()), 415, "unsupported_media_type");
    const huge = post({ name: "x".repeat(5000) }, admin);
    await expectError(await app.request("/admin/keys", huge, accessEnv()), 413, "payload_too_large");
  });
});

describe("GET /admin/keys", () => {
  it("lists keys oldest first, revoked ones included, never a key or a hash", async () => {
    const a = await createKey(app, accessEnv(), "list a");
    const b = await createKey(app, accessEnv(), "list b");
    expect((await app.request(`/admin/keys/${a.id}`, del, accessEnv())).status).toBe(200);
    const res = await app.request("/admin/keys", { headers: admin }, accessEnv());
    const text = await res.text();
    expect(text).not.toContain(a.key);
    expect(text).not.toContain(await sha256Hex(a.key));
    const keys = KeyList.parse(JSON.parse(text)).keys; // strict: no field beyond the record's
    const ids = keys.map((k) => k.id);
    expect(ids.indexOf(a.id)).toBeLessThan(ids.indexOf(b.id));
    expect(keys.find((k) => k.id === a.id)?.revoked_at).not.toBeNull();
    const { key: _key, ...record } = b;
    expect(keys.find((k) => k.id === b.id)).toEqual(record);
  });
});

describe("DELETE /admin/keys/:id", () => {
  it("revokes a key once: a second revocation keeps the first time", async () => {
    const { id } = await createKey(app, accessEnv());
    const first = await app.request(`/admin/keys/${id}`, del, accessEnv());
    expect(first.status).toBe(200);
    const revoked = KeyInfo.parse(await first.json());
    expect(revoked.revoked_at).not.toBeNull();
    const again = KeyInfo.parse(await (await app.request(`/admin/keys/${id}`, del, accessEnv())).json());
    expect(again).toEqual(revoked);
    expect((await listKeys()).find((k) => k.id === id)).toEqual(revoked);
  });

  it("404 key_not_found for an unknown id, 400 for an id that is not 16 hex digits", async () => {
    const unknown = "0123456789abcdef";
    await expectError(await app.request(`/admin/keys/${unknown}`, del, accessEnv()), 404, "key_not_found");
    for (const id of ["xyz", "0123456789ABCDEF", "0123456789abcdef0"])
      await expectError(await app.request(`/admin/keys/${id}`, del, accessEnv()), 400, "invalid_request");
  });
});

describe("the key routes' refusals", () => {
  const routes: [string, RequestInit][] = [
    ["/admin/keys", {}],
    ["/admin/keys", post({ name: "x" })],
    ["/admin/keys/0123456789abcdef", { method: "DELETE" }],
  ];

  it.each(routes)("%s needs the admin token: 401 without, 403 when wrong", async (path, init) => {
    const none = await app.request(path, init, accessEnv());
    expect(none.headers.get("www-authenticate")).toMatch(/^Bearer/);
    await expectError(none, 401, "unauthorized");
    const { key } = await createKey(app, accessEnv());
    const wrong = { ...init, headers: { ...(init.headers as object), authorization: `Bearer ${key}` } };
    await expectError(await app.request(path, wrong, accessEnv()), 403, "forbidden");
  });

  it.each(routes)("%s answers 503 not_configured without API_KEYS", async (path, init) => {
    const authed = { ...init, headers: { ...(init.headers as object), ...admin } };
    const res = await app.request(path, authed, accessEnv({ API_KEYS: undefined }));
    await expectError(res, 503, "not_configured");
  });
});

describe("GET /openapi.json", () => {
  it("documents the key routes behind the admin token, and its schemas accept what they answer", async () => {
    const doc = (await (await app.request("/openapi.json", {}, accessEnv())).json()) as {
      paths: Record<string, Record<string, { security?: unknown }>>;
    };
    for (const [route, method] of [
      ["/admin/keys", "get"],
      ["/admin/keys", "post"],
      ["/admin/keys/{id}", "delete"],
    ] as const)
      expect(doc.paths[route]?.[method]?.security, `${method} ${route}`).toEqual([{ adminToken: [] }]);
    const validator = (id: string) => componentValidator(doc, id);
    const created = await createKey(app, accessEnv(), "documented");
    expect(validator("CreatedKey").validate(created).valid).toBe(true);
    const revoked = await (await app.request(`/admin/keys/${created.id}`, del, accessEnv())).json();
    expect(validator("KeyInfo").validate(revoked).valid).toBe(true);
    const list = await (await app.request("/admin/keys", { headers: admin }, accessEnv())).json();
    expect(validator("KeyList").validate(list).valid).toBe(true);
    expect(validator("KeyList").validate({ keys: [created] }).valid).toBe(false); // a key never listed
    expect(validator("CreateKeyRequest").validate({ name: "ok" }).valid).toBe(true);
    expect(validator("CreateKeyRequest").validate({ name: "" }).valid).toBe(false);
  });
});
