import { Hono } from "hono";
import { describe, expect, it } from "vitest";
import { ApiError } from "../../errors.ts";
import { constantTimeEqual, timingSafeEqualBytes } from "./constant-time.ts";
import { adminAuth, bearerToken, MIN_TOKEN_LENGTH, tokenWeakness } from "./index.ts";

/**
 * The admin guard's rules in Node (the mutation run's project); index.workerd.test.ts checks the same
 * answers through the Worker with its error handler. Node's crypto.subtle has no timingSafeEqual, so
 * here constantTimeEqual takes the XOR fallback.
 */
const TOKEN = "t".repeat(32);

function guarded(token: string | undefined) {
  const app = new Hono();
  app.use(adminAuth({ token: () => token }));
  app.get("/", (c) => c.text("in"));
  app.onError((err, c) =>
    err instanceof ApiError
      ? c.json({ code: err.code, message: err.message }, err.status)
      : c.text("unexpected", 500),
  );
  return app;
}

describe("admin token rules", () => {
  it("needs at least 32 characters", () => {
    expect(MIN_TOKEN_LENGTH).toBe(32);
    expect(tokenWeakness(undefined)).toMatch(/ADMIN_TOKEN is not set/);
    expect(tokenWeakness("")).toMatch(/ADMIN_TOKEN is not set/);
    expect(tokenWeakness("t".repeat(31))).toMatch(/shorter than 32 characters/);
    expect(tokenWeakness("t".repeat(32))).toBeNull();
  });

  it("reads a bearer token with any scheme case and spacing, and nothing else", () => {
    expect(bearerToken(`Bearer ${TOKEN}`)).toBe(TOKEN);
    expect(bearerToken(`bearer   ${TOKEN}  `)).toBe(TOKEN);
    expect(bearerToken(`Basic ${TOKEN}`)).toBeUndefined();
    expect(bearerToken(`xBearer ${TOKEN}`)).toBeUndefined();
    expect(bearerToken(`Bearer ${TOKEN} extra`)).toBeUndefined();
    expect(bearerToken("Bearer")).toBeUndefined();
    expect(bearerToken(undefined)).toBeUndefined();
  });
});

describe("constant-time comparison", () => {
  it("compares bytes in full", () => {
    expect(timingSafeEqualBytes(new Uint8Array([1, 2, 3]), new Uint8Array([1, 2, 3]))).toBe(true);
    expect(timingSafeEqualBytes(new Uint8Array([1, 2, 3]), new Uint8Array([1, 2, 4]))).toBe(false);
    expect(timingSafeEqualBytes(new Uint8Array([9, 2, 3]), new Uint8Array([1, 2, 3]))).toBe(false);
    expect(timingSafeEqualBytes(new Uint8Array([1, 2]), new Uint8Array([1, 2, 3]))).toBe(false);
  });

  it("tells equal strings from different ones of any length", async () => {
    expect(await constantTimeEqual(TOKEN, TOKEN)).toBe(true);
    expect(await constantTimeEqual(TOKEN, `${TOKEN}x`)).toBe(false);
    expect(await constantTimeEqual(TOKEN, "u".repeat(32))).toBe(false);
  });
});

describe("adminAuth", () => {
  it("answers 503 admin_disabled with a weak token, even to the right bearer", async () => {
    const res = await guarded("short").request("/", { headers: { authorization: "Bearer short" } });
    expect(res.status).toBe(503);
    expect(await res.json()).toMatchObject({ code: "admin_disabled" });
  });

  it("answers 401 with WWW-Authenticate when no bearer token comes", async () => {
    const res = await guarded(TOKEN).request("/");
    expect(res.status).toBe(401);
    expect(res.headers.get("www-authenticate")).toBe('Bearer realm="apprentice-admin"');
    expect(await res.json()).toEqual({
      code: "unauthorized",
      message: "the admin routes need Authorization: Bearer <ADMIN_TOKEN>",
    });
  });

  it("answers 403 to a wrong token and lets the right one through", async () => {
    const wrong = await guarded(TOKEN).request("/", {
      headers: { authorization: `Bearer ${"u".repeat(32)}` },
    });
    expect(wrong.status).toBe(403);
    expect(await wrong.json()).toEqual({
      code: "forbidden",
      message: "the bearer token is not the admin token",
    });
    const right = await guarded(TOKEN).request("/", { headers: { authorization: `Bearer ${TOKEN}` } });
    expect(right.status).toBe(200);
    expect(await right.text()).toBe("in");
  });
});
