import { createRoute } from "@hono/zod-openapi";
import { z } from "zod";
import { classifierOutputs, classifierTensors } from "../../core/v2.ts";
import { classifyTexts } from "../cascade/classify.ts";
import type { AppContext, AppEnv } from "../context.ts";
import { ApiError, parseRequest } from "../errors.ts";
import { jsonBody } from "../middleware/json-body/index.ts";
import {
  type DeclaredRoute,
  documentedApp,
  errorResponses,
  jsonContent,
  jsonRequest,
  mount,
} from "../openapi.ts";
import {
  InferRequest,
  InferResponse,
  Live,
  ModelMetadata,
  ModelReady,
  outputsOf,
  Ready,
  ServerMetadata,
  textsOf,
} from "../schemas/v2.ts";

/**
 * Open Inference Protocol (KServe V2) surface over the same models, for clients that speak it (Triton
 * and KServe tooling). Inference goes through the same pipeline as /v1/classify with the teacher off:
 * the protocol returns the full calibrated probability tensor, which only the student gives for every
 * text.
 */
export const SERVER_NAME = "apprentice";
export const SERVER_VERSION = "0.1.0";

/** The manifest of the model (and version, when the path names one); 404 otherwise. */
function manifestFor(c: AppContext) {
  const { registry } = c.var.services;
  const manifest = registry.manifest(c.req.param("name") ?? "");
  const version = c.req.param("version");
  if (version !== undefined && version !== manifest.version)
    throw new ApiError(
      404,
      "model_not_found",
      `model "${manifest.name}" has no version "${version}" (served: ${manifest.version})`,
    );
  return manifest;
}

function metadata(c: AppContext) {
  const manifest = manifestFor(c);
  const body: ModelMetadata = {
    name: manifest.name,
    versions: [manifest.version],
    platform: "onnxruntime-web",
    ...classifierTensors(manifest.labels.length),
    // Column c of "probabilities" is labels[c]; the probabilities are calibrated with this temperature.
    parameters: { labels: manifest.labels, calibration_temperature: manifest.calibration.temperature },
  };
  return c.json(body);
}

async function modelReady(c: AppContext) {
  const manifest = manifestFor(c);
  await c.var.services.registry.load(manifest.name); // 500 model_unavailable if it cannot load
  return c.json({ name: manifest.name, ready: true });
}

async function infer(c: AppContext) {
  const services = c.var.services;
  const manifest = manifestFor(c);
  const request = parseRequest(InferRequest, c.var.jsonBody);
  const texts = textsOf(request, services.config.limits);
  const wanted = outputsOf(request);
  const outcome = await classifyTexts(services, manifest.name, texts, { teacher: "never", explain: false });
  c.var.onAnswered({ endpoint: "v2", ...outcome });
  const outputs = classifierOutputs(wanted, outcome.verdicts, manifest.labels.length);
  return c.json({
    model_name: manifest.name,
    model_version: manifest.version,
    ...(request.id !== undefined ? { id: request.id } : {}),
    outputs,
  });
}

const body = jsonBody<AppEnv>({ maxBytes: (c) => c.var.services.config.limits.maxBodyBytes });

const NameParam = z.string().meta({ description: "Model name" });
const VersionParam = z.string().meta({ description: "Model version (only the served one exists)" });

/** A GET of the protocol: its answer's schema, and the 404 when the path names a model. */
const getRoute = (path: string, operationId: string, summary: string, answer: z.ZodType) =>
  createRoute({
    method: "get",
    path,
    operationId,
    summary,
    ...(path.includes("{name}") ? { request: { params: paramsOf(path) } } : {}),
    responses: {
      200: jsonContent(answer, "OK"),
      ...errorResponses(...(path.includes("{name}") ? [404, 500] : [500])),
    },
  });

/** The path's parameters: a model name, and its version when the path names one. */
function paramsOf(path: string) {
  return path.includes("{version}")
    ? z.object({ name: NameParam, version: VersionParam })
    : z.object({ name: NameParam });
}

const inferRoute = (path: string, operationId: string): DeclaredRoute =>
  createRoute({
    method: "post",
    path,
    operationId,
    summary: "Classify texts with the student (Open Inference Protocol)",
    request: { params: paramsOf(path), body: jsonRequest(InferRequest) },
    responses: { 200: jsonContent(InferResponse, "OK"), ...errorResponses(400, 404, 413, 415, 500) },
  });

export const v2Routes = documentedApp();
mount(v2Routes, getRoute("/v2", "getServerMetadata", "Server metadata", ServerMetadata), (c) =>
  c.json({ name: SERVER_NAME, version: SERVER_VERSION, extensions: [] }),
);
mount(v2Routes, getRoute("/v2/health/live", "getServerLive", "Server liveness", Live), (c) =>
  c.json({ live: true }),
);
mount(
  v2Routes,
  getRoute("/v2/health/ready", "getServerReady", "Server readiness (loads every model)", Ready),
  async (c) => {
    // Ready means every model can answer now: loading them here also warms a cold isolate.
    const { registry } = c.var.services;
    await Promise.all(registry.names().map((name) => registry.load(name)));
    return c.json({ ready: true });
  },
);
mount(v2Routes, getRoute("/v2/models/{name}", "getModelMetadata", "Model metadata", ModelMetadata), metadata);
mount(
  v2Routes,
  getRoute(
    "/v2/models/{name}/versions/{version}",
    "getModelVersionMetadata",
    "Model metadata",
    ModelMetadata,
  ),
  metadata,
);
mount(
  v2Routes,
  getRoute("/v2/models/{name}/ready", "getModelReady", "Model readiness", ModelReady),
  modelReady,
);
mount(
  v2Routes,
  getRoute(
    "/v2/models/{name}/versions/{version}/ready",
    "getModelVersionReady",
    "Model readiness",
    ModelReady,
  ),
  modelReady,
);
mount(v2Routes, inferRoute("/v2/models/{name}/infer", "infer"), body, infer);
mount(v2Routes, inferRoute("/v2/models/{name}/versions/{version}/infer", "inferVersion"), body, infer);
