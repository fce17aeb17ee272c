import type { MiddlewareHandler } from "hono";
import type { AppEnv } from "../context.ts";
import { ApiError } from "../errors.ts";
import { constantTimeEqual } from "../middleware/admin-auth/constant-time.ts";
import { bearerToken } from "../middleware/admin-auth/index.ts";

/**
 * Optional protection of GET /metrics: with METRICS_TOKEN set, `Authorization: Bearer <it>` is needed
 * (401 without a token, 403 with a wrong one, compared in constant time); unset, the route is open, as
 * scrapers on a private network expect.
 */
export function metricsAuth(): MiddlewareHandler<AppEnv> {
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
