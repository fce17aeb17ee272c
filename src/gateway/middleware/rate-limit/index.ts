import type { MiddlewareHandler } from "hono";
import type { AppContext, AppEnv } from "../../context.ts";
import { ApiError } from "../../errors.ts";

/**
 * The per-key rate limit, after api-key has accepted a key: the Workers rate-limiting binding
 * (CLIENT_RATE_LIMITER, wrangler.toml [[ratelimits]]) counts the key's units by its id, and past the
 * limit the answer is 429 with Retry-After. Every request costs one unit here; an inference request
 * costs one unit per text, and TEACHER_ALWAYS_WEIGHT per text it sends to the teacher whatever the
 * student says (chargeTexts, once the body is read): the teacher is the expensive part, so a batch of 64
 * texts with `"teacher": "always"` is 128 units, not one request. The binding reports only success or
 * not, so Retry-After is its whole period (RATE_LIMIT_PERIOD_S): the window that refused the request has
 * ended by then, whatever its alignment. Not applied without a key (CLIENT_AUTH=off) or without the
 * binding. If the binding itself fails the request is served: the limit protects capacity, it does not
 * grant access.
 */
export function perKeyRateLimit(): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    await charge(c, 1);
    await next();
  };
}

/** Units per text sent to the teacher unconditionally (`"teacher": "always"`, or a model with no student). */
export const TEACHER_ALWAYS_WEIGHT = 2;

/** What an inference request costs in units, the request's own unit included. */
export function inferenceUnits(texts: number, toTeacherAlways: boolean): number {
  return Math.max(1, texts * (toTeacherAlways ? TEACHER_ALWAYS_WEIGHT : 1));
}

/** Charges the rest of an inference request's cost (the middleware charged its first unit); 429 past the limit. */
export function chargeTexts(c: AppContext, texts: number, toTeacherAlways: boolean): Promise<void> {
  return charge(c, inferenceUnits(texts, toTeacherAlways) - 1);
}

// The binding counts one unit per call: calls go in parallel rounds of this many, and stop at the first
// refusal, so a request costs at most this many calls past the key's remaining allowance.
const ROUND = 16;

async function charge(c: AppContext, units: number): Promise<void> {
  const key = c.var.apiKey;
  const limiter = c.env?.CLIENT_RATE_LIMITER;
  if (key === undefined || limiter === undefined || units <= 0) return;
  const once = async (): Promise<boolean> => {
    try {
      return (await limiter.limit({ key: key.id })).success;
    } catch (error) {
      console.error("CLIENT_RATE_LIMITER failed; request served unlimited:", error);
      return true;
    }
  };
  for (let done = 0; done < units; done += ROUND) {
    const round = await Promise.all(Array.from({ length: Math.min(ROUND, units - done) }, once));
    if (!round.every(Boolean)) refuse(c);
  }
}

function refuse(c: AppContext): never {
  const period = c.var.services.config.access.rateLimitPeriodS;
  c.header("Retry-After", String(period));
  throw new ApiError(429, "rate_limited", `rate limit of this API key exceeded; retry in ${period} s`);
}
