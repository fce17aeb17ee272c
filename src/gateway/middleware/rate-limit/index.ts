import type { MiddlewareHandler } from "hono";
import type { AppEnv } from "../../context.ts";
import { ApiError } from "../../errors.ts";

/**
 * The per-key rate limit, after api-key has accepted a key: the Workers rate-limiting binding
 * (CLIENT_RATE_LIMITER, wrangler.toml [[ratelimits]]) counts the key's requests by its id, and past the
 * limit the answer is 429 with Retry-After. The binding reports only success or not, so Retry-After is
 * its whole period (RATE_LIMIT_PERIOD_S): the window that refused the request has ended by then, whatever
 * its alignment. Not applied without a key (CLIENT_AUTH=off) or without the binding. If the binding
 * itself fails the request is served: the limit protects capacity, it does not grant access.
 */
export function perKeyRateLimit(): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const key = c.var.apiKey;
    const limiter = c.env?.CLIENT_RATE_LIMITER;
    if (key === undefined || limiter === undefined) return next();
    let allowed: boolean;
    try {
      allowed = (await limiter.limit({ key: key.id })).success;
    } catch (error) {
      console.error("CLIENT_RATE_LIMITER failed; request served unlimited:", error);
      allowed = true;
    }
    if (!allowed) {
      const period = c.var.services.config.access.rateLimitPeriodS;
      c.header("Retry-After", String(period));
      throw new ApiError(429, "rate_limited", `rate limit of this API key exceeded; retry in ${period} s`);
    }
    await next();
  };
}
