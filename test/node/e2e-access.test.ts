import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Stack } from "../../src/stack.ts";
import { type FreshStack, startFreshStack } from "../helpers/fresh-stack.ts";

/**
 * Client access under real `wrangler dev` (its own KV namespace and rate-limiting binding from
 * wrangler.toml, which wrangler must accept), with CLIENT_AUTH=api-key and one CORS origin: a key made
 * through the admin API classifies, no key is a 401, a revoked key a 403, and the 601st request of a key
 * within wrangler.toml's 600 per 60 s is a 429 with Retry-After.
 */
const ORIGIN = "https://app.example.com";
const LIMIT = 600;

describe("end to end: client API keys, rate limit and CORS under wrangler dev", () => {
  let fresh: FreshStack;
  let stack: Stack;
  const url = (path: string) => `${stack.gatewayUrl}${path}`;
  const admin = () => ({ authorization: `Bearer ${stack.adminToken}`, "content-type": "application/json" });
  const classify = (headers: Record<string, string> = {}) =>
    fetch(url("/v1/classify"), {
      method: "POST",
      headers: { "content-type": "application/json", ...headers },
      body: JSON.stringify({ text: "what is my credit score", options: { teacher: "never" } }),
    });
  const makeKey = async (name: string) => {
    const res = await fetch(url("/admin/keys"), {
      method: "POST",
      headers: admin(),
      body: JSON.stringify({ name }),
    });
    expect(res.status).toBe(201);
    return (await res.json()) as { id: string; key: string };
  };

  beforeAll(async () => {
    fresh = await startFreshStack("e2e-access", { vars: { CLIENT_AUTH: "api-key", CORS_ORIGINS: ORIGIN } });
    stack = fresh.stack;
  }, 120_000);
  afterAll(() => fresh?.stop());

  it("classifies with a key made through the admin API, and answers 401 without one", async () => {
    const none = await classify();
    expect(none.status).toBe(401);
    expect(none.headers.get("www-authenticate")).toMatch(/^Bearer/);
    expect(await none.json()).toMatchObject({ error: { code: "unauthorized" } });
    expect((await fetch(url("/healthz"))).status).toBe(200);

    const { id, key } = await makeKey("e2e client");
    const ok = await classify({ authorization: `Bearer ${key}` });
    expect(ok.status).toBe(200);
    expect(await ok.json()).toMatchObject({ results: [{ label: "credit_score", source: "student" }] });
    expect((await fetch(url("/v2/models/clinc150"), { headers: { "x-api-key": key } })).status).toBe(200);

    const revoked = await fetch(url(`/admin/keys/${id}`), { method: "DELETE", headers: admin() });
    expect(revoked.status).toBe(200);
    expect((await classify({ "x-api-key": key })).status).toBe(403);
  });

  it("answers a CORS preflight before any key, for the configured origin only", async () => {
    const preflight = (origin: string) =>
      fetch(url("/v1/classify"), {
        method: "OPTIONS",
        headers: {
          origin,
          "access-control-request-method": "POST",
          "access-control-request-headers": "x-api-key",
        },
      });
    const allowed = await preflight(ORIGIN);
    expect(allowed.status).toBe(204);
    expect(allowed.headers.get("access-control-allow-origin")).toBe(ORIGIN);
    expect(
      (await preflight("https://elsewhere.example.com")).headers.get("access-control-allow-origin"),
    ).toBeNull();
  });

  it("limits each key: a 429 with Retry-After past the limit, while another key is served", async () => {
    const { key } = await makeKey("busy client");
    // At most two windows' worth: a window boundary inside the burst resets the count once at most.
    let refused: Response | undefined;
    let served = 0;
    while (!refused && served <= 2 * LIMIT) {
      const res = await fetch(url("/v1/models"), { headers: { "x-api-key": key } });
      if (res.status === 429) refused = res;
      else {
        expect(res.status).toBe(200);
        served++;
        await res.body?.cancel();
      }
    }
    expect(refused?.headers.get("retry-after")).toBe("60");
    expect(await refused?.json()).toMatchObject({ error: { code: "rate_limited" } });
    expect(served).toBeGreaterThanOrEqual(LIMIT);
    const other = await makeKey("quiet client");
    expect((await fetch(url("/v1/models"), { headers: { "x-api-key": other.key } })).status).toBe(200);
  }, 120_000);
});
