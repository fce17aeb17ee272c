import { Hono } from "hono";
import type { AppContext, AppEnv } from "../context.ts";
import { type ModelSummary, summarize, summarizeTeacherOnly } from "../schemas/models.ts";

/**
 * GET /v1/models (every served model) and GET /v1/models/{name} (one, with its labels). A model created
 * from a label set shows version "none" and no routing figures until its student is live.
 */
function summaryOf(c: AppContext, name: string): ModelSummary {
  const { registry, config } = c.var.services;
  const isDefault = name === config.defaultModel;
  if (registry.hasStudent(name))
    return summarize(registry.manifest(name), isDefault, registry.isLoaded(name));
  const definition = registry.definition(name);
  return summarizeTeacherOnly(name, registry.labels(name), definition?.outOfScopeLabel ?? null, isDefault);
}

export const modelRoutes = new Hono<AppEnv>()
  .get("/v1/models", (c) => {
    const { registry, config } = c.var.services;
    const models = registry.names().map((name) => summaryOf(c, name));
    return c.json({ default_model: config.defaultModel, models });
  })
  .get("/v1/models/:name", (c) => {
    const { registry } = c.var.services;
    const name = c.req.param("name");
    registry.require(name);
    return c.json({ ...summaryOf(c, name), labels: registry.labels(name) });
  });
