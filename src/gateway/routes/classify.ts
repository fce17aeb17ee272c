import { Hono } from "hono";
import { classifyTexts } from "../cascade/classify.ts";
import { type AppEnv, waitUntilOf } from "../context.ts";
import { jsonBody } from "../middleware/json-body/index.ts";
import { type ClassifyResponse, parseClassifyRequest, requestSchemasFor } from "../schemas/classify.ts";

/** POST /v1/classify (docs/api.md "POST /v1/classify"). */
export const classifyRoutes = new Hono<AppEnv>().post(
  "/v1/classify",
  jsonBody<AppEnv>({ maxBytes: (c) => c.var.services.config.limits.maxBodyBytes }),
  async (c) => {
    const services = c.var.services;
    const { config, registry } = services;
    const input = parseClassifyRequest(requestSchemasFor(config), c.var.jsonBody);
    const modelName = input.model ?? config.defaultModel;
    registry.require(modelName); // 404 for an unknown model before any work
    const outcome = await classifyTexts(services, modelName, input.texts, {
      ...input.options,
      ...waitUntilOf(c),
    });
    // To the hard-example log and telemetry (answered.ts).
    c.var.onAnswered({ endpoint: "v1", ...outcome });
    const { model, results } = outcome;
    const body: ClassifyResponse = { model: model.name, version: model.version, results };
    return c.json(body);
  },
);
