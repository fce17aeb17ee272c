import { Hono } from "hono";
import type { AppEnv } from "../context.ts";

/**
 * GET /healthz: the Worker answers and its configuration and manifests are valid. It never loads a
 * session (that is what GET /v2/health/ready does), so probing it stays cheap on a cold isolate.
 */
export const healthRoutes = new Hono<AppEnv>().get("/healthz", (c) => {
  const { registry } = c.var.services;
  const models = Object.fromEntries(
    registry
      .names()
      .map((name) => [name, { version: registry.version(name), loaded: registry.isLoaded(name) }]),
  );
  return c.json({ status: "ok" as const, models });
});
