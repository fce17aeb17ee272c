import { createRoute } from "@hono/zod-openapi";
import { documentedApp, errorResponses, jsonContent, mount } from "../openapi.ts";
import { HealthResponse } from "../schemas/models.ts";

/**
 * GET /healthz: the Worker answers and its configuration and manifests are valid. It reads no registry
 * and loads no session (GET /v2/health/ready also checks every model's graph is at hand), so probing it
 * stays cheap on a cold isolate.
 */
const healthRoute = createRoute({
  method: "get",
  path: "/healthz",
  operationId: "getHealth",
  summary: "Liveness and configuration check",
  responses: { 200: jsonContent(HealthResponse, "OK"), ...errorResponses(500) },
});

export const healthRoutes = mount(documentedApp(), healthRoute, (c) => {
  const { registry } = c.var.services;
  const models = Object.fromEntries(
    registry
      .names()
      .map((name) => [name, { version: registry.version(name), loaded: registry.isLoaded(name) }]),
  );
  return c.json({ status: "ok" as const, models });
});
