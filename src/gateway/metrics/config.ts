import type { MiddlewareHandler } from "hono";
import { z } from "zod";
import { ApiError } from "../errors.ts";
import { constantTimeEqual } from "../middleware/admin-auth/constant-time.ts";
import { bearerToken } from "../middleware/admin-auth/index.ts";

/**
 * The telemetry's variables, validated with the rest of the configuration (config.ts):
 * - LOG_REQUESTS (default true): one JSON line per classification request on the Worker's log;
 * - LOG_TEXT (default false): those lines also carry the texts, redacted as the hard-example log
 *   redacts them (REDACTION); without it no request text is ever logged;
 * - USAGE_FLUSH_MS (default 2000, at most 25000, 0 = within the request): how long an isolate gathers
 *   answer counts before it sends them to D1; bounded because the flush runs in ctx.waitUntil, which
 *   lives at most 30 s past the response;
 * - METRICS_TOKEN (optional secret): when set, GET /metrics needs `Authorization: Bearer <it>`.
 */
const Flag = (fallback: boolean) =>
  z
    .union([z.boolean(), z.enum(["true", "false"], { message: 'must be "true" or "false"' })])
    .transform((v) => v === true || v === "true")
    .default(fallback);

const FlushMs = z
  .union([z.number(), z.string().trim().min(1, "must not be empty").transform(Number)])
  .pipe(z.number().int().min(0).max(25_000))
  .default(2000);

export const MetricsEnvSchema = z.object({
  LOG_REQUESTS: Flag(true),
  LOG_TEXT: Flag(false),
  USAGE_FLUSH_MS: FlushMs,
  METRICS_TOKEN: z.string().optional(),
});

export interface MetricsConfig {
  logRequests: boolean;
  logText: boolean;
  usageFlushMs: number;
  /** null: /metrics is open. */
  token: string | null;
}

export function metricsConfig(vars: z.output<typeof MetricsEnvSchema>): MetricsConfig {
  return {
    logRequests: vars.LOG_REQUESTS,
    logText: vars.LOG_TEXT,
    usageFlushMs: vars.USAGE_FLUSH_MS,
    // An empty secret is no secret: treated as unset rather than as a token nobody can send.
    token: vars.METRICS_TOKEN ? vars.METRICS_TOKEN : null,
  };
}

/** What the check reads: the parsed configuration (typed here, as config.ts imports this module). */
type MetricsAuthEnv = { Variables: { services: { config: { metrics: MetricsConfig } } } };

/**
 * Optional protection of GET /metrics: with METRICS_TOKEN set, `Authorization: Bearer <it>` is needed
 * (401 without a token, 403 with a wrong one, compared in constant time); unset, the route is open, as
 * scrapers on a private network expect.
 */
export function metricsAuth<E extends MetricsAuthEnv = MetricsAuthEnv>(): MiddlewareHandler<E> {
  return async (c, next) => {
    const token = c.var.services.config.metrics.token;
    if (token === null) return next();
    const presented = bearerToken(c.req.header("authorization"));
    if (presented === undefined) {
      c.header("WWW-Authenticate", 'Bearer realm="apprentice-metrics"');
      throw new ApiError(401, "unauthorized", "GET /metrics needs Authorization: Bearer <METRICS_TOKEN>");
    }
    if (!(await constantTimeEqual(presented, token)))
      throw new ApiError(403, "forbidden", "the bearer token is not the metrics token");
    await next();
  };
}
