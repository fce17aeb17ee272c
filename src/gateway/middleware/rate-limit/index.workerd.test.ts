import { describe, expect, it } from "vitest";
import {
  accessEnv,
  bindings,
  classifyBody,
  createKey,
  gatewayApp,
  inOneWindow,
} from "../../../../test/workerd/access-helpers.ts";
import { expectError, post } from "../../../../test/workerd/gateway-helpers.ts";
import { TEACHER_ALWAYS_WEIGHT } from "./index.ts";

/**
 * The per-key rate limit with miniflare's real rate-limiting binding: TEST_RATE_LIMITER (3 requests per
 * 10 s, vitest.config.ts) in the place of wrangler.toml's CLIENT_RATE_LIMITER, whose 600 per 60 s the
 * binding's own test (binding.workerd.test.ts) and the end-to-end test cover.
 */
const LIMIT = 3;
const PERIOD_S = 10;
const app = gatewayApp();
const limitedEnv = () =>
  accessEnv({ CLIENT_RATE_LIMITER: bindings.TEST_RATE_LIMITER, RATE_LIMIT_PERIOD_S: String(PERIOD_S) });
const bearer = (key: string) => ({ authorization: `Bearer ${key}` });

/** LIMIT + 1 requests with a new key, inside one window; the statuses, and the last answer. */
async function burst() {
  const env = limitedEnv();
  const { key } = await createKey(app, env);
  const statuses: number[] = [];
  let last: Response | undefined;
  for (let i = 0; i <= LIMIT; i++) {
    last = await app.request("/v1/classify", post(classifyBody, bearer(key)), env);
    statuses.push(last.status);
  }
  return { env, key, statuses, last: last! };
}

describe("per-key rate limit", () => {
  it("answers the request past the limit 429 with Retry-After, and another key is unaffected", async () => {
    const { env, key, statuses, last } = await inOneWindow(PERIOD_S, burst);
    expect(statuses).toEqual([200, 200, 200, 429]);
    expect(last.headers.get("retry-after")).toBe(String(PERIOD_S));
    await expectError(last, 429, "rate_limited");
    // Still limited for this key, on any route it calls; not for a second key.
    await expectError(await app.request("/v1/models", { headers: bearer(key) }, env), 429, "rate_limited");
    const other = await createKey(app, env, "other");
    expect((await app.request("/v1/models", { headers: bearer(other.key) }, env)).status).toBe(200);
  });

  it("counts texts, not requests: a batch of LIMIT texts uses up the window", async () => {
    const { statuses } = await inOneWindow(PERIOD_S, async () => {
      const env = limitedEnv();
      const { key } = await createKey(app, env);
      const texts = Array.from({ length: LIMIT }, (_, i) => `what is my credit score ${i}`);
      const batch = await app.request(
        "/v1/classify",
        post({ texts, options: { teacher: "never" } }, bearer(key)),
        env,
      );
      const next = await app.request("/v1/classify", post(classifyBody, bearer(key)), env);
      return { statuses: [batch.status, next.status] };
    });
    expect(statuses).toEqual([200, 429]);
  });

  it('a text sent to the teacher whatever the student says ("always") counts TEACHER_ALWAYS_WEIGHT', async () => {
    expect(TEACHER_ALWAYS_WEIGHT).toBe(2);
    const { statuses } = await inOneWindow(PERIOD_S, async () => {
      const env = limitedEnv();
      const { key } = await createKey(app, env);
      const always = (texts: string[]) =>
        app.request("/v1/classify", post({ texts, options: { teacher: "always" } }, bearer(key)), env);
      const statuses = [(await always(["asdf qwer", "zxcv uiop"])).status]; // 4 units > 3
      const fresh = await createKey(app, env, "second");
      const second = { authorization: `Bearer ${fresh.key}` };
      const one = await app.request(
        "/v1/classify",
        post({ text: "asdf qwer", options: { teacher: "always" } }, second),
        env,
      ); // 2 units
      statuses.push(one.status);
      statuses.push((await app.request("/v1/classify", post(classifyBody, second), env)).status); // 3
      statuses.push((await app.request("/v1/classify", post(classifyBody, second), env)).status); // 4
      return { statuses };
    });
    expect(statuses).toEqual([429, 200, 200, 429]);
  });

  it("V2 inference counts its texts too", async () => {
    const { statuses } = await inOneWindow(PERIOD_S, async () => {
      const env = limitedEnv();
      const infer = async (n: number, name: string) => {
        const { key } = await createKey(app, env, name);
        const data = Array(n).fill("what is my credit score");
        const input = { name: "text", shape: [n], datatype: "BYTES", data };
        return app.request("/v2/models/clinc150/infer", post({ inputs: [input] }, bearer(key)), env);
      };
      return { statuses: [(await infer(LIMIT, "fits")).status, (await infer(LIMIT + 1, "over")).status] };
    });
    expect(statuses).toEqual([200, 429]);
  });

  it("lets the key through again once Retry-After has passed", async () => {
    const { env, key, last } = await inOneWindow(PERIOD_S, burst);
    expect(last.status).toBe(429);
    const seconds = Number(last.headers.get("retry-after"));
    await new Promise((resolve) => setTimeout(resolve, seconds * 1000));
    expect((await app.request("/v1/models", { headers: bearer(key) }, env)).status).toBe(200);
  }, 30_000);

  it("does not charge a key for requests refused before it was presented", async () => {
    const env = limitedEnv();
    const { key } = await createKey(app, env);
    for (let i = 0; i <= LIMIT; i++) await expectError(await app.request("/v1/models", {}, env), 401);
    expect((await app.request("/v1/models", { headers: bearer(key) }, env)).status).toBe(200);
  });

  it("does not limit without CLIENT_AUTH (no key to count) or without the binding", async () => {
    const open = { CLIENT_AUTH: "off", CLIENT_RATE_LIMITER: bindings.TEST_RATE_LIMITER };
    for (let i = 0; i <= LIMIT; i++)
      expect((await app.request("/v1/models", {}, accessEnv(open))).status).toBe(200);
    const env = accessEnv({ CLIENT_RATE_LIMITER: undefined });
    const { key } = await createKey(app, env);
    for (let i = 0; i <= LIMIT; i++)
      expect((await app.request("/v1/models", { headers: bearer(key) }, env)).status).toBe(200);
  });

  it("fails open: a rate-limiting binding that throws serves the request", async () => {
    // A platform fault (the binding's own failure), not our code: the limit protects capacity only.
    const broken: RateLimit = {
      limit: () => Promise.reject(new Error("rate limiter unavailable")),
    };
    const env = accessEnv({ CLIENT_RATE_LIMITER: broken });
    const { key } = await createKey(app, env);
    for (let i = 0; i <= LIMIT; i++) {
      expect((await app.request("/v1/classify", post(classifyBody, bearer(key)), env)).status).toBe(200);
    }
  });

  it("rejects a RATE_LIMIT_PERIOD_S the binding cannot have", async () => {
    const res = await app.request("/v1/models", {}, accessEnv({ RATE_LIMIT_PERIOD_S: "30" }));
    await expectError(res.clone(), 500, "config_invalid");
    expect(((await res.json()) as { error: { message: string } }).error.message).toMatch(
      /RATE_LIMIT_PERIOD_S/,
    );
  });
});
