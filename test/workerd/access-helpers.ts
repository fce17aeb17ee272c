import { env as workerEnv } from "cloudflare:workers";
import { expect, inject } from "vitest";
import { CreatedKey } from "../../src/gateway/admin/keys/schemas.ts";
import { createApp } from "../../src/gateway/app.ts";
import type { Env } from "../../src/gateway/bindings.ts";
import { kserveTeacher, post } from "./gateway-helpers.ts";

/**
 * Shared by the access-control tests (client keys, rate limit, CORS, admin key routes): miniflare's real
 * KV (API_KEYS) and rate-limiting bindings from wrangler.toml, plus TEST_RATE_LIMITER (vitest.config.ts:
 * 3 requests per 10 s) where a test needs a small limit.
 */
export const bindings = workerEnv as unknown as Env & { TEST_RATE_LIMITER: RateLimit };
export const ADMIN_TOKEN = "access-admin-token-0123456789abcdef";
export const admin = { authorization: `Bearer ${ADMIN_TOKEN}` };

/** A fresh env object (fresh per-env config) with the admin token, API keys on, and `extra`. */
export const accessEnv = (extra: Env = {}): Env => ({
  ...bindings,
  ADMIN_TOKEN,
  CLIENT_AUTH: "api-key",
  ...extra,
});

export const gatewayApp = () => createApp({ teacher: () => kserveTeacher(inject("teachers").healthy) });
export type GatewayApp = ReturnType<typeof gatewayApp>;

/** Makes a key through POST /admin/keys. */
export async function createKey(app: GatewayApp, env: Env, name = "test client"): Promise<CreatedKey> {
  const res = await app.request("/admin/keys", post({ name }, admin), env);
  expect(res.status).toBe(201);
  return CreatedKey.parse(await res.json());
}

export const classifyBody = { text: "what is my credit score", options: { teacher: "never" } };

/**
 * Runs `burst` inside one window of a fixed-window limiter of `periodS` seconds (miniflare's windows are
 * aligned to the epoch), retrying when a window boundary fell inside it; `burst` must use a fresh key
 * each time. So "exactly the limit, then 429" is asserted without depending on when the test started.
 */
export async function inOneWindow<T>(periodS: number, burst: () => Promise<T>): Promise<T> {
  const window = () => Math.floor(Date.now() / (periodS * 1000));
  for (let attempt = 0; attempt < 3; attempt++) {
    const before = window();
    const result = await burst();
    if (window() === before) return result;
  }
  throw new Error("three bursts in a row straddled a rate-limit window");
}
