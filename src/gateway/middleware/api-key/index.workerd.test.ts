import { SELF } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import {
  accessEnv,
  admin,
  classifyBody,
  createKey,
  gatewayApp,
} from "../../../../test/workerd/access-helpers.ts";
import { expectError, expectErrorOn, expectV2Error, post } from "../../../../test/workerd/gateway-helpers.ts";
import { newKey } from "./store.ts";

/**
 * Client API keys on /v1 and /v2 (CLIENT_AUTH=api-key) with miniflare's real KV: keys made through the
 * admin API, presented either way, refused when missing (401), unknown or revoked (403), and every
 * client request refused (503) when the KV binding is missing. Off by default.
 */
const app = gatewayApp();
const bearer = (key: string) => ({ authorization: `Bearer ${key}` });
const GUARDED: [string, RequestInit][] = [
  ["/v1/models", {}],
  ["/v1/models/clinc150", {}],
  ["/v1/classify", post(classifyBody)],
  ["/v1/chat/completions", post({ model: "clinc150", messages: [{ role: "user", content: "hi" }] })],
  ["/v2/models/clinc150", {}],
  [
    "/v2/models/clinc150/infer",
    post({ inputs: [{ name: "text", datatype: "BYTES", shape: [1], data: ["hello there"] }] }),
  ],
];
const withHeaders = (init: RequestInit, headers: Record<string, string>): RequestInit => ({
  ...init,
  headers: { ...(init.headers as Record<string, string> | undefined), ...headers },
});

describe("client API keys", () => {
  it("are off by default: the Worker serves /v1 and /v2 without a key", async () => {
    const classify = await SELF.fetch("https://gateway.test/v1/classify", post(classifyBody));
    expect(classify.status).toBe(200);
    expect(classify.headers.get("www-authenticate")).toBeNull();
    expect((await SELF.fetch("https://gateway.test/v2/models/clinc150")).status).toBe(200);
  });

  it.each(GUARDED)("401 with WWW-Authenticate for %s without a key", async (path, init) => {
    const res = await app.request(path, init, accessEnv());
    expect(res.headers.get("www-authenticate")).toMatch(/^Bearer realm="apprentice"/);
    await expectErrorOn(path, res, 401, "unauthorized");
  });

  it("leave the V2 probes and server metadata open, as Kubernetes and is_server_live() send no key", async () => {
    for (const path of ["/v2", "/v2/", "/v2/health/live", "/v2/health/ready"]) {
      const res = await app.request(path, {}, accessEnv());
      expect(res.status, path).toBe(200);
      expect((await app.request(path, { method: "HEAD" }, accessEnv())).status, path).toBe(200);
    }
    // Only reads: another method or a model's own route still needs a key.
    await expectV2Error(await app.request("/v2/health/live", { method: "POST" }, accessEnv()), 401);
    await expectV2Error(await app.request("/v2/models/clinc150/ready", {}, accessEnv()), 401);
  });

  it("401 for an Authorization header of another scheme", async () => {
    const { key } = await createKey(app, accessEnv());
    const basic = { authorization: `Basic ${btoa(`client:${key}`)}` };
    await expectError(await app.request("/v1/models", { headers: basic }, accessEnv()), 401, "unauthorized");
  });

  it("are stated in /openapi.json only when required: security, 401, 403 and 429 on /v1 and /v2", async () => {
    type Doc = { paths: Record<string, Record<string, { security?: unknown; responses: object }>> };
    const doc = async (env: Parameters<typeof app.request>[2]) =>
      (await (await app.request("/openapi.json", {}, env)).json()) as Doc;
    const required = await doc(accessEnv());
    for (const [path, method] of [
      ["/v1/classify", "post"],
      ["/v1/models", "get"],
      ["/v2/models/{name}/infer", "post"],
    ] as const) {
      const op = required.paths[path]![method]!;
      expect(op.security, path).toEqual([{ clientKey: [] }, { clientKeyHeader: [] }]);
      expect(Object.keys(op.responses), path).toEqual(expect.arrayContaining(["401", "403", "429"]));
    }
    expect(required.paths["/healthz"]!.get!.security).toBeUndefined();
    for (const path of ["/v2", "/v2/health/live", "/v2/health/ready"]) {
      expect(required.paths[path]!.get!.security, path).toBeUndefined();
      expect(Object.keys(required.paths[path]!.get!.responses), path).not.toContain("401");
    }
    const refusal = required.paths["/v2/models/{name}/infer"]!.post!.responses as Record<string, unknown>;
    expect(JSON.stringify(refusal["401"])).toContain("#/components/schemas/V2Error");
    const open = await doc(accessEnv({ CLIENT_AUTH: "off" }));
    expect(open.paths["/v1/classify"]!.post!.security).toBeUndefined();
    expect(Object.keys(open.paths["/v1/classify"]!.post!.responses)).not.toContain("429");
  });

  it("leaves /healthz, /openapi.json, /metrics and /dashboard open", async () => {
    for (const path of ["/healthz", "/openapi.json", "/metrics", "/dashboard"]) {
      const res = await app.request(path, {}, accessEnv());
      expect([401, 403], path).not.toContain(res.status);
    }
    expect((await app.request("/healthz", {}, accessEnv())).status).toBe(200);
  });

  it.each(GUARDED)("serves %s with a key as a bearer token or in x-api-key", async (path, init) => {
    const env = accessEnv();
    const { key } = await createKey(app, env);
    expect((await app.request(path, withHeaders(init, bearer(key)), env)).status).toBe(200);
    expect((await app.request(path, withHeaders(init, { "x-api-key": key }), env)).status).toBe(200);
    const lower = await app.request(path, withHeaders(init, { authorization: `bearer ${key}` }), env);
    expect(lower.status).toBe(200);
  });

  it("accepts both headers when they agree, and answers 400 when they do not", async () => {
    const env = accessEnv();
    const [a, b] = [await createKey(app, env, "a"), await createKey(app, env, "b")];
    const both = { ...bearer(a.key), "x-api-key": a.key };
    expect((await app.request("/v1/models", { headers: both }, env)).status).toBe(200);
    const mixed = { ...bearer(a.key), "x-api-key": b.key };
    await expectError(await app.request("/v1/models", { headers: mixed }, env), 400, "invalid_request");
  });

  it.each([
    ["an unknown key", newKey()],
    ["a malformed key", "apk_short"],
    ["the admin token", admin.authorization.slice("Bearer ".length)],
  ])("403 for %s", async (_name, key) => {
    const env = accessEnv();
    await expectError(await app.request("/v1/models", { headers: bearer(key) }, env), 403, "forbidden");
    const viaHeader = await app.request("/v1/classify", post(classifyBody, { "x-api-key": key }), env);
    await expectError(viaHeader, 403, "forbidden");
  });

  it("refuses a revoked key at once in the isolate that revoked it, though it was just used", async () => {
    const env = accessEnv();
    const { id, key } = await createKey(app, env);
    const other = await createKey(app, env, "other");
    expect((await app.request("/v1/models", { headers: bearer(key) }, env)).status).toBe(200);
    const revoked = await app.request(`/admin/keys/${id}`, { method: "DELETE", headers: admin }, env);
    expect(revoked.status).toBe(200);
    await expectError(await app.request("/v1/models", { headers: bearer(key) }, env), 403, "forbidden");
    // A fresh app and env: no per-env state, the same isolate cache and KV.
    const elsewhere = await gatewayApp().request("/v1/models", { headers: bearer(key) }, accessEnv());
    await expectError(elsewhere, 403, "forbidden");
    expect((await app.request("/v1/models", { headers: bearer(other.key) }, env)).status).toBe(200);
  });

  it("refuses every client request with 503 when API_KEYS is not bound, never serving openly", async () => {
    const { key } = await createKey(app, accessEnv());
    const env = accessEnv({ API_KEYS: undefined });
    for (const init of [{}, { headers: bearer(key) }, { headers: { "x-api-key": key } }]) {
      const res = await app.request("/v1/models", init, env);
      await expectError(res, 503, "not_configured");
    }
    await expectError(await app.request("/v1/classify", post(classifyBody), env), 503, "not_configured");
    expect((await app.request("/healthz", {}, env)).status).toBe(200);
  });

  it("rejects an unknown CLIENT_AUTH value as a configuration error naming it", async () => {
    const res = await app.request("/v1/models", {}, accessEnv({ CLIENT_AUTH: "on" }));
    await expectError(res.clone(), 500, "config_invalid");
    expect(((await res.json()) as { error: { message: string } }).error.message).toMatch(/CLIENT_AUTH/);
  });
});
