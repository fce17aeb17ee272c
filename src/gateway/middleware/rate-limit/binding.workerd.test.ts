import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { inOneWindow } from "../../../../test/workerd/access-helpers.ts";

/**
 * The platform fact the per-key limit rests on: the Workers rate-limiting binding of wrangler.toml
 * ([[ratelimits]] CLIENT_RATE_LIMITER, 600 per 60 s) is implemented by miniflare in this test pool, counts
 * per key, and refuses the request past the limit.
 */
const limiter = (env as unknown as { CLIENT_RATE_LIMITER?: RateLimit }).CLIENT_RATE_LIMITER;

describe("the rate-limiting binding under miniflare", () => {
  it("exists and refuses the 601st call for a key, not another key's first", async () => {
    expect(limiter).toBeDefined();
    const { key, outcomes } = await inOneWindow(60, async () => {
      const key = `probe-${crypto.randomUUID()}`;
      const outcomes: boolean[] = [];
      for (let i = 0; i < 601; i++) outcomes.push((await limiter!.limit({ key })).success);
      return { key, outcomes };
    });
    expect(outcomes.slice(0, 600).every(Boolean)).toBe(true);
    expect(outcomes[600]).toBe(false);
    expect((await limiter!.limit({ key: `${key}-other` })).success).toBe(true);
  });
});
