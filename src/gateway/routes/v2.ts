import { createRoute } from "@hono/zod-openapi";
import { z } from "zod";
import { classifierOutputs, classifierTensors } from "../../core/v2.ts";
import { type ClassifyOutcome, classifyTexts } from "../cascade/classify.ts";
import { type AppContext, type AppEnv, clientOf, waitUntilOf } from "../context.ts";
import { ApiError, parseRequest } from "../errors.ts";
import { jsonBody } from "../middleware/json-body/index.ts";
import { chargeTexts } from "../middleware/rate-limit/index.ts";
import { requireReady } from "../models/readiness.ts";
import {
  type DeclaredRoute,
  documentedApp,
  jsonContent,
  jsonRequest,
  mount,
  v2ErrorResponses,
  v2NoStudentResponses,
} from "../openapi.ts";
import {
  INFER_REQUEST_REF,
  InferResponse,
  inferRequestFor,
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
 * text. A model with no student yet is answered by its teacher (version "none", platform "teacher").
 */
export const SERVER_NAME = "apprentice";
export const SERVER_VERSION = "0.1.0";

/**
 * The model the path names, as served (and the version, when the path names one); 404 otherwise. A model
 * with no student yet is served as version NO_STUDENT_VERSION, by its teacher.
 */
function modelFor(c: AppContext): { name: string; version: string; labels: readonly string[] } {
  const { registry } = c.var.services;
  const name = c.req.param("name") ?? "";
  const served = { name, version: registry.version(name), labels: registry.labels(name) };
  const version = c.req.param("version");
  if (version !== undefined && version !== served.version)
    throw new ApiError(
      404,
      "model_not_found",
      `model "${name}" has no version "${version}" (served: ${served.version})`,
    );
  return served;
}

function metadata(c: AppContext) {
  const { registry } = c.var.services;
  const model = modelFor(c);
  const student = registry.hasStudent(model.name) ? registry.manifest(model.name) : null;
  const body: ModelMetadata = {
    name: model.name,
    versions: [model.version],
    // The spec's name for an ONNX model run by ONNX Runtime; "teacher" (not a spec name) while there is none.
    platform: student ? "onnx_onnxv1" : "teacher",
    ...classifierTensors(model.labels.length),
    // Column c of "probabilities" is labels[c]; the student's are calibrated with this temperature.
    parameters: {
      labels: [...model.labels],
      ...(student ? { calibration_temperature: student.calibration.temperature } : {}),
    },
  };
  return c.json(body);
}

async function modelReady(c: AppContext) {
  const { registry } = c.var.services;
  const model = modelFor(c);
  // 500 model_unavailable if the student cannot load; a model with no student has nothing to load.
  if (registry.hasStudent(model.name)) await registry.load(model.name);
  return c.json({ name: model.name, ready: true });
}

/**
 * One probability row per text: the student's calibrated probabilities; for a model with no student the
 * teacher's, or, when it gave a bare label, that label's confidence with the rest spread evenly.
 */
function probabilityRows(outcome: ClassifyOutcome): number[][] {
  if (outcome.verdicts) return outcome.verdicts.map((v) => Array.from(v.probs));
  const classes = outcome.model.labels.length;
  return outcome.slots.map((slot, i) => {
    if (slot.kind === "answer" && slot.answer.probs) return slot.answer.probs;
    const { label, confidence } = outcome.results[i]!;
    const rest = (1 - confidence) / (classes - 1);
    return outcome.model.labels.map((l) => (l === label ? confidence : rest));
  });
}

async function infer(c: AppContext) {
  const services = c.var.services;
  const model = modelFor(c);
  const request = parseRequest(inferRequestFor(services.config), c.var.jsonBody);
  const texts = textsOf(request, services.config.limits);
  const wanted = outputsOf(request);
  // The protocol wants the full probability tensor: the student's for every text, else the teacher's.
  const teacher = services.registry.hasStudent(model.name) ? "never" : "always";
  await chargeTexts(c, texts.length, teacher === "always");
  const outcome = await classifyTexts(services, model.name, texts, {
    teacher,
    explain: false,
    ...waitUntilOf(c),
    ...clientOf(c),
  });
  // To the hard-example log and telemetry (answered.ts): a model with no student logs every answer.
  c.var.onAnswered({ endpoint: "v2", ...outcome });
  const rows = probabilityRows(outcome);
  const answers = outcome.results.map((r, i) => ({ label: r.label, probs: rows[i]! }));
  const outputs = classifierOutputs(wanted, answers, model.labels.length);
  return c.json({
    model_name: model.name,
    model_version: outcome.model.version,
    ...(request.id !== undefined ? { id: request.id } : {}),
    outputs,
  });
}

// tritonclient and KServe's REST client send no Content-Type: JSON is the protocol's only body here.
const body = jsonBody<AppEnv>({
  maxBytes: (c) => c.var.services.config.limits.maxBodyBytes,
  untypedIsJson: true,
});

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
      ...v2ErrorResponses(...(path.includes("{name}") ? [404, 500] : [500])),
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
    request: { params: paramsOf(path), body: jsonRequest(INFER_REQUEST_REF) },
    responses: {
      200: jsonContent(InferResponse, "OK"),
      ...v2ErrorResponses(400, 404, 413, 415, 500),
      ...v2NoStudentResponses,
    },
  });

export const v2Routes = documentedApp();
const serverMetadata = (c: AppContext) =>
  c.json({ name: SERVER_NAME, version: SERVER_VERSION, extensions: [] });
mount(v2Routes, getRoute("/v2", "getServerMetadata", "Server metadata", ServerMetadata), serverMetadata);
// The spec's YAML names this path "/v2/"; both answer, the document lists one.
v2Routes.get("/v2/", serverMetadata);
mount(v2Routes, getRoute("/v2/health/live", "getServerLive", "Server liveness", Live), (c) =>
  c.json({ live: true }),
);
mount(
  v2Routes,
  getRoute("/v2/health/ready", "getServerReady", "Server readiness (creates no session)", Ready),
  async (c) => {
    await requireReady(c.var.services.registry);
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
