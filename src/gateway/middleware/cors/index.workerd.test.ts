import { SELF } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import {
  accessEnv,
  admin,
  bindings,
  classifyBody,
  createKey,
  gatewayApp,
  inOneWindow,
} from "../../../../test/workerd/access-helpers.ts";
import { expectError, post } from "../../../../test/workerd/gateway-helpers.ts";

/**
 * CORS on /v1 and /v2 from CORS_ORIGINS: none by default; an allowed origin gets
 * Access-Control-Allow-Origin (on errors too), a disallowed one does not; a preflight is answered 204
 * before any API key is asked for; the admin routes never answer with CORS headers.
 */
const app = gatewayApp();
const ALLOWED = "https://app.example.com";
const SECOND = "http://localhost:5173";
const corsEnv = (origins = `${ALLOWED}, ${SECOND}`, extra = {}) =>
  accessEnv({ CORS_ORIGINS: origins, ...extra });
const preflight = (origin: string, method = "POST") => ({
  method: "OPTIONS",
  headers: {
    origin,
    "access-control-request-method": method,
    "access-control-request-headers": "content-type, x-api-key",
  },
});
const acao = (res: Response) => res.headers.get("access-control-allow-origin");

describe("CORS", () => {
  it("sends no CORS headers by default", async () => {
    const res = await SELF.fetch("https://gateway.test/v1/models", { headers: { origin: ALLOWED } });
    expect(res.status).toBe(200);
    expect(acao(res)).toBeNull();
    expect(res.headers.get("access-control-expose-headers")).toBeNull();
  });

  it("allows a listed origin and exposes the request id and Retry-After", async () => {
    const env = corsEnv();
    const { key } = await createKey(app, env);
    for (const origin of [ALLOWED, SECOND]) {
      const headers = { origin, "x-api-key": key };
      const res = await app.request("/v1/classify", post(classifyBody, headers), env);
      expect(res.status).toBe(200);
      expect(acao(res)).toBe(origin);
      expect(res.headers.get("vary")).toMatch(/origin/i);
      expect(res.headers.get("access-control-expose-headers")).toBe("x-request-id,retry-after");
    }
  });

  it("sends no Access-Control-Allow-Origin to an origin not listed", async () => {
    const env = corsEnv();
    const { key } = await createKey(app, env);
    for (const origin of ["https://evil.example.com", "https://app.example.com.evil.net", "null"]) {
      const res = await app.request("/v1/models", { headers: { origin, "x-api-key": key } }, env);
      expect(res.status).toBe(200);
      expect(acao(res)).toBeNull();
      const pre = await app.request("/v1/classify", preflight(origin), env);
      expect(acao(pre)).toBeNull();
    }
  });

  it("answers a preflight 204 with the allowed methods and headers, before any API key", async () => {
    for (const path of ["/v1/classify", "/v2/models/clinc150/infer"]) {
      const res = await app.request(path, preflight(ALLOWED), corsEnv());
      expect(res.status).toBe(204);
      expect(acao(res)).toBe(ALLOWED);
      expect(res.headers.get("access-control-allow-methods")).toBe("GET,HEAD,POST,OPTIONS");
      expect(res.headers.get("access-control-allow-headers")).toBe(
        "content-type,authorization,x-api-key,x-request-id",
      );
      expect(res.headers.get("access-control-max-age")).toBe("600");
    }
  });

  it("leaves an OPTIONS that is not a preflight to the app: 204 with Allow, no key needed", async () => {
    for (const path of ["/v1/classify", "/v2/models/clinc150/infer"]) {
      const res = await app.request(path, { method: "OPTIONS", headers: { origin: ALLOWED } }, corsEnv());
      expect(res.status, path).toBe(204);
      expect(res.headers.get("allow"), path).toBe("POST, OPTIONS");
      expect(res.headers.get("access-control-allow-methods"), path).toBeNull();
    }
  });

  it("allows any origin with *", async () => {
    const env = corsEnv("*", { CLIENT_AUTH: "off" });
    const res = await app.request("/v2/models/clinc150", { headers: { origin: "https://any.test" } }, env);
    expect(res.status).toBe(200);
    expect(acao(res)).toBe("*");
    expect((await app.request("/v1/classify", preflight("https://any.test"), env)).status).toBe(204);
  });

  it("lets a browser read refusals: 401 and 403 carry Access-Control-Allow-Origin", async () => {
    const env = corsEnv();
    const missing = await app.request("/v1/models", { headers: { origin: ALLOWED } }, env);
    expect(acao(missing)).toBe(ALLOWED);
    await expectError(missing, 401, "unauthorized");
    const wrong = await app.request(
      "/v1/models",
      { headers: { origin: ALLOWED, "x-api-key": "apk_x" } },
      env,
    );
    expect(acao(wrong)).toBe(ALLOWED);
    await expectError(wrong, 403, "forbidden");
  });

  it("lets a browser read a 429 and its Retry-After", async () => {
    // TEST_RATE_LIMITER allows 3 requests per 10 s (vitest.config.ts).
    const env = corsEnv(undefined, {
      CLIENT_RATE_LIMITER: bindings.TEST_RATE_LIMITER,
      RATE_LIMIT_PERIOD_S: "10",
    });
    const { key } = await createKey(app, env);
    const limited = await inOneWindow(10, async () => {
      let res: Response | undefined;
      for (let i = 0; i < 4; i++) {
        res = await app.request("/v1/models", { headers: { origin: ALLOWED, "x-api-key": key } }, env);
      }
      return res!;
    });
    expect(acao(limited)).toBe(ALLOWED);
    expect(limited.headers.get("access-control-expose-headers")?.toLowerCase()).toContain("retry-after");
    expect(limited.headers.get("retry-after")).toBe("10");
    await expectError(limited, 429, "rate_limited");
  });

  it("never sends CORS headers from the admin routes, /healthz or /openapi.json", async () => {
    const env = corsEnv("*");
    const adminPaths = ["/admin/keys", "/admin/models", "/admin/models/clinc150"];
    for (const path of adminPaths) {
      const res = await app.request(path, { headers: { ...admin, origin: ALLOWED } }, env);
      expect(res.status, path).toBe(200);
      expect(acao(res), path).toBeNull();
      const pre = await app.request(path, preflight(ALLOWED, "GET"), env);
      expect(acao(pre), path).toBeNull();
      expect(pre.headers.get("access-control-allow-methods"), path).toBeNull();
    }
    for (const path of ["/healthz", "/openapi.json"]) {
      const res = await app.request(path, { headers: { origin: ALLOWED } }, env);
      expect(acao(res), path).toBeNull();
    }
  });

  it.each([
    ["a path", "https://app.example.com/"],
    ["no scheme", "app.example.com"],
    ["an empty entry", `${ALLOWED},,${SECOND}`],
    ["a non-http scheme", "ftp://files.example.com"],
  ])("rejects CORS_ORIGINS with %s as a configuration error naming it", async (_name, origins) => {
    const res = await app.request("/v1/models", {}, corsEnv(origins));
    await expectError(res.clone(), 500, "config_invalid");
    expect(((await res.json()) as { error: { message: string } }).error.message).toMatch(/CORS_ORIGINS/);
  });
});
