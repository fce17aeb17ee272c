import { Hono } from "hono";
import { classifierOutputs, classifierTensors } from "../../core/v2.ts";
import { classifyTexts } from "../cascade/classify.ts";
import type { AppContext, AppEnv } from "../context.ts";
import { ApiError, parseRequest } from "../errors.ts";
import { reportAnswers } from "../metrics/telemetry.ts";
import { jsonBody } from "../middleware/json-body/index.ts";
import { InferRequest, type ModelMetadata, outputsOf, textsOf } from "../schemas/v2.ts";

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
  reportAnswers(c, "v2", texts, outcome);
  const outputs = classifierOutputs(wanted, outcome.verdicts, manifest.labels.length);
  return c.json({
    model_name: manifest.name,
    model_version: manifest.version,
    ...(request.id !== undefined ? { id: request.id } : {}),
    outputs,
  });
}

const body = jsonBody<AppEnv>({ maxBytes: (c) => c.var.services.config.limits.maxBodyBytes });

export const v2Routes = new Hono<AppEnv>()
  .get("/v2", (c) => c.json({ name: SERVER_NAME, version: SERVER_VERSION, extensions: [] }))
  .get("/v2/health/live", (c) => c.json({ live: true }))
  .get("/v2/health/ready", async (c) => {
    // Ready means every model can answer now: loading them here also warms a cold isolate.
    const { registry } = c.var.services;
    await Promise.all(registry.names().map((name) => registry.load(name)));
    return c.json({ ready: true });
  })
  .get("/v2/models/:name", metadata)
  .get("/v2/models/:name/versions/:version", metadata)
  .get("/v2/models/:name/ready", modelReady)
  .get("/v2/models/:name/versions/:version/ready", modelReady)
  .post("/v2/models/:name/infer", body, infer)
  .post("/v2/models/:name/versions/:version/infer", body, infer);
