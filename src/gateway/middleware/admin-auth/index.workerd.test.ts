import { SELF } from "cloudflare:test";
import { Hono } from "hono";
import { describe, expect, it } from "vitest";
import { expectError } from "../../../../test/workerd/gateway-helpers.ts";
import { createApp } from "../../app.ts";
import type { Env } from "../../bindings.ts";
import { onError } from "../json-errors/index.ts";
import { requestId } from "../request-id/index.ts";
import { constantTimeEqual, timingSafeEqualBytes } from "./constant-time.ts";
import { adminAuth, MIN_TOKEN_LENGTH, tokenWeakness } from "./index.ts";

const TOKEN = `${"t".repeat(20)}0123456789ABCDEF`; // 36 characters

function appWith(token: string | undefined) {
  const app = new Hono<{ Bindings: Env }>();
  app.use(requestId());
  app.use("/admin/*", adminAuth({ token: () => token }));
  app.get("/admin/ping", (c) => c.json({ ok: true }));
  app.get("/public", (c) => c.json({ ok: true }));
  app.onError(onError);
  return app;
}
const bearer = (token: string) => ({ headers: { authorization: `Bearer ${token}` } });

describe("constant-time comparison", () => {
  it("compares bytes in full", () => {
    const a = new Uint8Array([1, 2, 3, 4]);
    expect(timingSafeEqualBytes(a, new Uint8Array([1, 2, 3, 4]))).toBe(true);
    expect(timingSafeEqualBytes(a, new Uint8Array([1, 2, 3, 5]))).toBe(false);
    expect(timingSafeEqualBytes(a, new Uint8Array([0, 2, 3, 4]))).toBe(false);
    expect(timingSafeEqualBytes(a, new Uint8Array([1, 2, 3]))).toBe(false);
    expect(timingSafeEqualBytes(new Uint8Array(0), new Uint8Array(0))).toBe(true);
  });

  it("compares strings through their SHA-256 digests, whatever their lengths", async () => {
    expect(await constantTimeEqual(TOKEN, TOKEN)).toBe(true);
    expect(await constantTimeEqual(TOKEN, `${TOKEN}x`)).toBe(false);
    expect(await constantTimeEqual(TOKEN, TOKEN.slice(0, -1))).toBe(false);
    expect(await constantTimeEqual(TOKEN, TOKEN.toUpperCase())).toBe(false);
    expect(await constantTimeEqual("", "")).toBe(true);
    expect(await constantTimeEqual("é", "e\u0301")).toBe(false); // no normalisation
  });
});

describe("adminAuth", () => {
  it("passes the right bearer token (scheme case-insensitive)", async () => {
    const app = appWith(TOKEN);
    expect((await app.request("/admin/ping", bearer(TOKEN))).status).toBe(200);
    const lower = await app.request("/admin/ping", { headers: { authorization: `bearer ${TOKEN}` } });
    expect(lower.status).toBe(200);
  });

  it.each([
    ["no Authorization header", {}],
    ["another scheme", { headers: { authorization: `Basic ${btoa(`admin:${TOKEN}`)}` } }],
    ["Bearer without a token", { headers: { authorization: "Bearer " } }],
    ["the token alone", { headers: { authorization: TOKEN } }],
  ])("401 with WWW-Authenticate for %s", async (_name, init) => {
    const res = await appWith(TOKEN).request("/admin/ping", init);
    expect(res.headers.get("www-authenticate")).toMatch(/^Bearer\b/);
    await expectError(res, 401, "unauthorized");
  });

  it.each([
    ["a wrong token", "x".repeat(36)],
    ["the token with a character more", `${TOKEN}!`],
    ["a prefix of the token", TOKEN.slice(0, 32)],
  ])("403 for %s", async (_name, token) => {
    await expectError(await appWith(TOKEN).request("/admin/ping", bearer(token)), 403, "forbidden");
  });

  it.each([
    ["unset", undefined, /not set/],
    ["empty", "", /not set/],
    ["one character short", "s".repeat(MIN_TOKEN_LENGTH - 1), /shorter than 32/],
  ])("503 admin_disabled when ADMIN_TOKEN is %s, even with that very token", async (_n, token, why) => {
    const app = appWith(token);
    for (const init of [{}, bearer(token ?? ""), bearer(TOKEN)]) {
      const res = await app.request("/admin/ping", init);
      await expectError(res.clone(), 503, "admin_disabled");
      expect(((await res.json()) as { error: { message: string } }).error.message).toMatch(why);
    }
    expect((await app.request("/public")).status).toBe(200);
  });

  it("accepts a token of exactly the minimum length", async () => {
    const token = "m".repeat(MIN_TOKEN_LENGTH);
    expect(tokenWeakness(token)).toBeNull();
    expect((await appWith(token).request("/admin/ping", bearer(token))).status).toBe(200);
  });

  it("guards every /admin route of the gateway, which keeps serving the rest with a weak token", async () => {
    const app = createApp();
    const paths = ["/admin/models", "/admin/hard-examples", "/admin/models/clinc150", "/admin/nope"];
    // The client keys and the statistics behind the dashboard, too.
    paths.push("/admin/keys", "/admin/stats");
    for (const path of paths) {
      await expectError(await app.request(path, {}, { ADMIN_TOKEN: TOKEN }), 401, "unauthorized");
      await expectError(
        await app.request(path, bearer("w".repeat(40)), { ADMIN_TOKEN: TOKEN }),
        403,
        "forbidden",
      );
      await expectError(
        await app.request(path, bearer("short"), { ADMIN_TOKEN: "short" }),
        503,
        "admin_disabled",
      );
    }
    const put = await app.request("/admin/models/clinc150/versions/9.9.9", { method: "PUT" }, {});
    await expectError(put, 503, "admin_disabled");
    const writes: [string, string][] = [
      ["POST", "/admin/keys"],
      ["DELETE", "/admin/keys/0123456789abcdef"],
      ["POST", "/admin/models/clinc150/promote"],
    ];
    for (const [method, path] of writes) {
      const init = { method, headers: { "content-type": "application/json" }, body: "{}" };
      await expectError(await app.request(path, init, { ADMIN_TOKEN: TOKEN }), 401, "unauthorized");
      const wrong = { ...init, headers: { ...init.headers, authorization: `Bearer ${"w".repeat(40)}` } };
      await expectError(await app.request(path, wrong, { ADMIN_TOKEN: TOKEN }), 403, "forbidden");
    }
    expect((await app.request("/v1/models", {}, { ADMIN_TOKEN: "short" })).status).toBe(200);
    expect((await app.request("/healthz", {}, {})).status).toBe(200);
  });

  it("keeps the admin routes off in the Worker as deployed without a secret (wrangler.toml sets none)", async () => {
    for (const path of ["/admin/models", "/admin/keys", "/admin/stats"]) {
      const res = await SELF.fetch(`https://gateway.test${path}`, bearer(TOKEN));
      await expectError(res, 503, "admin_disabled");
    }
    expect((await SELF.fetch("https://gateway.test/healthz")).status).toBe(200);
  });
});
