import { Hono } from "hono";
import { z } from "zod";
import { adminComponents, adminPaths, adminSecuritySchemes } from "../admin/openapi.ts";
import type { GatewayConfig } from "../config.ts";
import type { AppEnv } from "../context.ts";
import { metricsPaths, metricsSecuritySchemes } from "../metrics/openapi.ts";
import { clientKeySecuritySchemes, withClientKeys } from "../middleware/api-key/openapi.ts";
import { ClassifyResponse, ClassifyResult, requestSchemasFor } from "../schemas/classify.ts";
import { ErrorResponse } from "../schemas/error.ts";
import { HealthResponse, ModelDetail, ModelList } from "../schemas/models.ts";
import * as v2 from "../schemas/v2.ts";

/**
 * GET /openapi.json: an OpenAPI 3.1 document generated with zod's own z.toJSONSchema from the schemas
 * that validate the requests, built with this deployment's limits, so the document cannot drift from
 * what the gateway accepts. (OpenAPI 3.1 schema objects are JSON Schema 2020-12, zod's default target.)
 */
type Json = Record<string, unknown>;

function componentSchemas(config: GatewayConfig): Record<string, Json> {
  const requests = requestSchemasFor(config);
  const registry = z.registry<{ id: string }>();
  const components: Record<string, z.ZodType> = {
    ClassifyRequest: requests.Request,
    ClassifyOptions: requests.Options,
    ClassifyResponse,
    ClassifyResult,
    Error: ErrorResponse,
    ModelList,
    ModelDetail,
    Health: HealthResponse,
    InferRequest: v2.InferRequest,
    InferResponse: v2.InferResponse,
    ModelMetadata: v2.ModelMetadata,
    ServerMetadata: v2.ServerMetadata,
    Live: v2.Live,
    Ready: v2.Ready,
    ModelReady: v2.ModelReady,
    ...adminComponents,
  };
  for (const [id, schema] of Object.entries(components)) registry.add(schema, { id });
  const { schemas } = z.toJSONSchema(registry, { uri: (id) => `#/components/schemas/${id}`, io: "input" });
  // Each entry is a standalone JSON Schema document; inside an OpenAPI document they are plain schema
  // objects, and a fragment-only $id is not allowed there.
  return Object.fromEntries(
    Object.entries(schemas).map(([id, { $schema: _s, $id: _i, ...rest }]) => [id, rest as Json]),
  );
}

const ref = (id: string) => ({ $ref: `#/components/schemas/${id}` });
const json = (id: string, description: string) => ({
  description,
  content: { "application/json": { schema: ref(id) } },
});
const errors = (...statuses: number[]) =>
  Object.fromEntries(statuses.map((s) => [String(s), json("Error", "Error")]));
const nameParam = { name: "name", in: "path", required: true, schema: { type: "string" } };
const versionParam = { name: "version", in: "path", required: true, schema: { type: "string" } };
const get = (summary: string, id: string, extra: Json = {}, ...statuses: number[]) => ({
  get: { summary, responses: { "200": json(id, "OK"), ...errors(...statuses, 500) }, ...extra },
});

/** A model with no student yet whose teacher failed: nothing to answer with. */
const teacherOnly = {
  "503": {
    ...json("Error", "teacher_unavailable: the model has no student yet and its teacher failed"),
    headers: {
      "Retry-After": { description: "Seconds to wait before retrying", schema: { type: "integer" } },
    },
  },
};

export function openApiDocument(config: GatewayConfig): Json {
  const { limits } = config;
  const inferOp = {
    summary: "Classify texts with the student (Open Inference Protocol)",
    parameters: [nameParam],
    requestBody: { required: true, content: { "application/json": { schema: ref("InferRequest") } } },
    responses: { "200": json("InferResponse", "OK"), ...errors(400, 404, 413, 415, 500), ...teacherOnly },
  };
  return {
    openapi: "3.1.0",
    info: {
      title: "Apprentice gateway",
      version: "1.0.0",
      description: `Edge text classification: a distilled student answers, a teacher is asked when it is unsure. Limits of this deployment: ${limits.maxBatch} texts per request, ${limits.maxTextChars} characters per text, ${limits.maxBodyBytes} bytes per body. Every response carries x-request-id.`,
    },
    paths: withClientKeys(config.access.clientAuth, {
      "/v1/classify": {
        post: {
          summary: "Classify one text or a batch",
          requestBody: {
            required: true,
            content: { "application/json": { schema: ref("ClassifyRequest") } },
          },
          responses: {
            "200": json("ClassifyResponse", "Answers, one per text"),
            ...errors(400, 404, 413, 415, 500),
            "409": json("Error", "no_student: explain, or teacher never, on a model with no student yet"),
            ...teacherOnly,
          },
        },
      },
      "/v1/models": get("List the models", "ModelList"),
      "/v1/models/{name}": get("One model, with its labels", "ModelDetail", { parameters: [nameParam] }, 404),
      "/healthz": get("Liveness and configuration check", "Health"),
      "/openapi.json": {
        get: { summary: "This document", responses: { "200": { description: "OpenAPI 3.1" } } },
      },
      "/v2": get("Server metadata", "ServerMetadata"),
      "/v2/health/live": get("Server liveness", "Live"),
      "/v2/health/ready": get("Server readiness (loads every model)", "Ready"),
      "/v2/models/{name}": get("Model metadata", "ModelMetadata", { parameters: [nameParam] }, 404),
      "/v2/models/{name}/versions/{version}": get(
        "Model metadata",
        "ModelMetadata",
        { parameters: [nameParam, versionParam] },
        404,
      ),
      "/v2/models/{name}/ready": get("Model readiness", "ModelReady", { parameters: [nameParam] }, 404),
      "/v2/models/{name}/versions/{version}/ready": get(
        "Model readiness",
        "ModelReady",
        { parameters: [nameParam, versionParam] },
        404,
      ),
      "/v2/models/{name}/infer": { post: inferOp },
      "/v2/models/{name}/versions/{version}/infer": {
        post: { ...inferOp, parameters: [nameParam, versionParam] },
      },
      ...metricsPaths,
      ...adminPaths(config.registry.maxUploadBytes),
    }),
    components: {
      schemas: componentSchemas(config),
      securitySchemes: { ...adminSecuritySchemes, ...metricsSecuritySchemes, ...clientKeySecuritySchemes },
    },
  };
}

const documents = new WeakMap<GatewayConfig, Json>();

export const openApiRoutes = new Hono<AppEnv>().get("/openapi.json", (c) => {
  const { config } = c.var.services;
  let doc = documents.get(config);
  if (!doc) {
    doc = openApiDocument(config);
    documents.set(config, doc);
  }
  return c.json(doc);
});
