import type { Context, Env as HonoEnv, MiddlewareHandler } from "hono";
import { ApiError } from "../../errors.ts";
import { constantTimeEqual } from "./constant-time.ts";

/**
 * Bearer-token access to the admin routes (docs/admin-api.md "Authentication": ADMIN_TOKEN, compared in constant time).
 * - A weak token (unset, empty, shorter than MIN_TOKEN_LENGTH) turns the admin routes off: 503
 *   admin_disabled saying why, whatever the request carries. Guessing a short token is feasible, so the
 *   gateway refuses to be administered with one; every other route keeps working.
 * - No bearer token: 401 with `WWW-Authenticate: Bearer`. A wrong one: 403.
 * Hono's bearerAuth is not used: it answers a wrong token with 401 and knows nothing of weak tokens.
 */
export const MIN_TOKEN_LENGTH = 32;

export interface AdminAuthOptions<E extends HonoEnv> {
  /** The configured token, per request (it lives in env, as a secret). */
  token: (c: Context<E>) => string | undefined;
}

/** Why a token cannot guard the admin routes, or null when it can. */
export function tokenWeakness(token: string | undefined): string | null {
  if (token === undefined || token === "")
    return "the admin routes are disabled: ADMIN_TOKEN is not set (wrangler secret put ADMIN_TOKEN)";
  if (token.length < MIN_TOKEN_LENGTH)
    return `the admin routes are disabled: ADMIN_TOKEN is shorter than ${MIN_TOKEN_LENGTH} characters, and the gateway refuses to guard them with a weak token`;
  return null;
}

const BEARER = /^Bearer +(\S+) *$/i;

/** The token of an `Authorization: Bearer <token>` header (scheme case-insensitive), if there is one. */
export const bearerToken = (authorization: string | undefined): string | undefined =>
  BEARER.exec(authorization ?? "")?.[1];

export function adminAuth<E extends HonoEnv>(options: AdminAuthOptions<E>): MiddlewareHandler<E> {
  return async (c, next) => {
    const token = options.token(c);
    const weakness = tokenWeakness(token);
    if (weakness !== null) throw new ApiError(503, "admin_disabled", weakness);
    const presented = bearerToken(c.req.header("authorization"));
    if (presented === undefined) {
      // Kept by the error answer: the error handler renders on this same context.
      c.header("WWW-Authenticate", 'Bearer realm="apprentice-admin"');
      throw new ApiError(401, "unauthorized", "the admin routes need Authorization: Bearer <ADMIN_TOKEN>");
    }
    if (!(await constantTimeEqual(presented, token!)))
      throw new ApiError(403, "forbidden", "the bearer token is not the admin token");
    await next();
  };
}
