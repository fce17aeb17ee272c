import { createRoute } from "@hono/zod-openapi";
import { z } from "zod";
import type { AppContext } from "../context.ts";
import { documentedApp, errorResponses, jsonContent, mount } from "../openapi.ts";
import {
  ModelDetail,
  ModelList,
  type ModelSummary,
  openAiModel,
  summarize,
  summarizeTeacherOnly,
} from "../schemas/models.ts";

/** GET /v1/models (every served model) and GET /v1/models/{name} (one, with its labels). */
const listRoute = createRoute({
  method: "get",
  path: "/v1/models",
  operationId: "listModels",
  summary: "List the models",
  responses: { 200: jsonContent(ModelList, "OK"), ...errorResponses(500) },
});

const detailRoute = createRoute({
  method: "get",
  path: "/v1/models/{name}",
  operationId: "getModel",
  summary: "One model, with its labels",
  request: { params: z.object({ name: z.string().meta({ description: "Model name" }) }) },
  responses: { 200: jsonContent(ModelDetail, "OK"), ...errorResponses(404, 500) },
});

/** A model created from a label set shows version "none" and no routing figures until its student is live. */
function summaryOf(c: AppContext, name: string): ModelSummary {
  const { registry, config } = c.var.services;
  const isDefault = name === config.defaultModel;
  if (registry.hasStudent(name))
    return summarize(registry.manifest(name), isDefault, registry.isLoaded(name));
  const definition = registry.definition(name);
  return summarizeTeacherOnly(name, registry.labels(name), definition?.outOfScopeLabel ?? null, isDefault);
}

export const modelRoutes = documentedApp();
mount(modelRoutes, listRoute, (c) => {
  const { registry, config } = c.var.services;
  const names = registry.names();
  const models = names.map((name) => summaryOf(c, name));
  return c.json({ default_model: config.defaultModel, models, object: "list", data: names.map(openAiModel) });
});
mount(modelRoutes, detailRoute, (c) => {
  const { registry } = c.var.services;
  const name = c.req.param("name") ?? "";
  registry.require(name);
  return c.json({ ...summaryOf(c, name), labels: registry.labels(name) });
});
