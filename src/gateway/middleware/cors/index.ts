import type { MiddlewareHandler } from "hono";
import { cors } from "hono/cors";
import type { AppEnv } from "../../context.ts";

/**
 * hono/cors for /v1 and /v2 with the origins of CORS_ORIGINS (cors/config.ts), read per request from the
 * configuration; no CORS headers at all when it is empty. Mounted before the API key, so a preflight
 * (which carries no credentials) is answered 204 without one. A browser may send the key headers and
 * read the request id and, on a 429, Retry-After. No credentials mode: keys travel in headers, not cookies.
 */
const ALLOW_HEADERS = ["content-type", "authorization", "x-api-key", "x-request-id"];
const EXPOSE_HEADERS = ["x-request-id", "retry-after"];
const MAX_AGE_S = 600;

export function clientCors(): MiddlewareHandler<AppEnv> {
  // One hono/cors instance per configuration (so per isolate in workerd).
  const handlers = new WeakMap<object, MiddlewareHandler>();
  return async (c, next) => {
    const { access } = c.var.services.config;
    const origins = access.corsOrigins;
    // hono/cors answers every OPTIONS as a preflight; one without Access-Control-Request-Method is not one,
    // and gets the app's own answer (204 with Allow).
    const preflight =
      c.req.method !== "OPTIONS" || c.req.header("access-control-request-method") !== undefined;
    if (origins === null || !preflight) return next();
    let handler = handlers.get(access);
    if (!handler) {
      handler = cors({
        origin: origins,
        allowMethods: ["GET", "HEAD", "POST", "OPTIONS"],
        allowHeaders: ALLOW_HEADERS,
        exposeHeaders: EXPOSE_HEADERS,
        maxAge: MAX_AGE_S,
      });
      handlers.set(access, handler);
    }
    return handler(c, next);
  };
}
