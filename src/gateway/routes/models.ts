import { createRoute } from "@hono/zod-openapi";
import { z } from "zod";
import { documentedApp, errorResponses, jsonContent, mount } from "../openapi.ts";
import { ModelDetail, ModelList, summarize } from "../schemas/models.ts";

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

export const modelRoutes = documentedApp();
mount(modelRoutes, listRoute, (c) => {
  const { registry, config } = c.var.services;
  const models = registry
    .names()
    .map((name) => summarize(registry.manifest(name), name === config.defaultModel, registry.isLoaded(name)));
  return c.json({ default_model: config.defaultModel, models });
});
mount(modelRoutes, detailRoute, (c) => {
  const { registry, config } = c.var.services;
  const name = c.req.param("name") ?? "";
  const manifest = registry.manifest(name);
  return c.json({
    ...summarize(manifest, name === config.defaultModel, registry.isLoaded(name)),
    labels: manifest.labels,
  });
});
