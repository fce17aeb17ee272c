import { createRoute, type RouteConfig } from "@hono/zod-openapi";
import { errorResponses } from "../openapi.ts";

/**
 * An admin operation as the OpenAPI document states it: tagged admin, behind the bearer ADMIN_TOKEN
 * (middleware/admin-auth), so it may answer 401, 403 and 503 besides its own errors (`statuses`).
 */
export const ADMIN_TOKEN_SCHEME = {
  type: "http",
  scheme: "bearer",
  description:
    "ADMIN_TOKEN (32+ characters). 401 without it, 403 when wrong, 503 admin_disabled when the gateway's token is unset or too short.",
} as const;

export function adminRoute<R extends RouteConfig>(route: R, ...statuses: number[]) {
  return createRoute({
    ...route,
    tags: ["admin"],
    security: [{ adminToken: [] }],
    responses: { ...route.responses, ...errorResponses(401, 403, ...statuses, 503) },
  });
}
