import { Hono } from "hono";
import type { AppEnv } from "../context.ts";
import { summarize } from "../schemas/models.ts";

/** GET /v1/models (every bundled model) and GET /v1/models/{name} (one, with its labels). */
export const modelRoutes = new Hono<AppEnv>()
  .get("/v1/models", (c) => {
    const { registry, config } = c.var.services;
    const models = registry
      .names()
      .map((name) =>
        summarize(registry.manifest(name), name === config.defaultModel, registry.isLoaded(name)),
      );
    return c.json({ default_model: config.defaultModel, models });
  })
  .get("/v1/models/:name", (c) => {
    const { registry, config } = c.var.services;
    const name = c.req.param("name");
    const manifest = registry.manifest(name);
    return c.json({
      ...summarize(manifest, name === config.defaultModel, registry.isLoaded(name)),
      labels: manifest.labels,
    });
  });
