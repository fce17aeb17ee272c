import { z } from "zod";
import { type CorsOrigins, CorsOriginsVar } from "../cors/config.ts";

/**
 * Who may call the inference API (/v1, /v2), validated with the rest of the configuration (config.ts):
 * CLIENT_AUTH ("off", the default, so `npm start` needs no key; or "api-key"), RATE_LIMIT_PERIOD_S (the
 * `period` of the [[ratelimits]] binding in wrangler.toml, which the binding cannot tell us; 429 answers
 * put it in Retry-After) and CORS_ORIGINS (cors/config.ts).
 */
export const ClientAccessEnvSchema = z.object({
  CLIENT_AUTH: z.enum(["off", "api-key"]).default("off"),
  RATE_LIMIT_PERIOD_S: z
    .union([z.number(), z.string().trim().transform(Number)])
    .pipe(z.union([z.literal(10), z.literal(60)], "must be 10 or 60, the binding's period"))
    .default(60),
  CORS_ORIGINS: CorsOriginsVar,
});

export interface ClientAccessConfig {
  clientAuth: "off" | "api-key";
  rateLimitPeriodS: 10 | 60;
  corsOrigins: CorsOrigins;
}

export function clientAccessConfig(vars: z.output<typeof ClientAccessEnvSchema>): ClientAccessConfig {
  return {
    clientAuth: vars.CLIENT_AUTH,
    rateLimitPeriodS: vars.RATE_LIMIT_PERIOD_S,
    corsOrigins: vars.CORS_ORIGINS,
  };
}

/**
 * Client access bindings (wrangler.toml). API_KEYS holds the clients' keys, hashed (store.ts); without it
 * CLIENT_AUTH=api-key refuses every client request (503). CLIENT_RATE_LIMITER is the Workers
 * rate-limiting binding counting requests per key id; without it keys are not rate limited.
 */
export interface ClientAccessBindings {
  API_KEYS?: KVNamespace;
  CLIENT_RATE_LIMITER?: RateLimit;
}
