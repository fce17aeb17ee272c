import { z } from "zod";
import * as v2 from "../core/v2.ts";
import { checkText, parseRequest, type TeacherContext } from "./context.ts";
import { HttpError } from "./http.ts";
import type { TeacherModel } from "./model.ts";
import type { Reply, Route, RouteRequest } from "./router.ts";

/**
 * KServe V2 / Open Inference Protocol routes, on the shapes of core/v2.ts. Errors are
 * `{"error": "message"}` (see router.ts).
 */
export const SERVER_NAME = "apprentice-teacher";
export const SERVER_VERSION = "0.1.0";

const invalid = (message: string, param: string) => new HttpError(400, message, "invalid_input", param);

/** The teacher's metadata extension: the task, and the column labels of "probabilities". */
const TeacherModelMetadata = v2.modelMetadataSchema(
  z.strictObject({ task: z.string(), labels: v2.ColumnLabels }),
);

function modelMetadata(model: TeacherModel): z.infer<typeof TeacherModelMetadata> {
  return {
    name: model.name,
    versions: [model.version],
    // The Open Inference Protocol's name for an ONNX model run by ONNX Runtime.
    platform: "onnx_onnxv1",
    ...v2.classifierTensors(model.labels.length),
    parameters: { task: model.manifest.task, labels: [...model.labels] },
  };
}

function modelFor(ctx: TeacherContext, params: Record<string, string>): TeacherModel {
  const name = params.model!;
  const model = ctx.models.get(name);
  if (!model) {
    throw new HttpError(
      404,
      `model "${name}" is not served here (models: ${[...ctx.models.keys()].join(", ")})`,
    );
  }
  const version = params.version;
  if (version !== undefined && version !== model.version) {
    throw new HttpError(404, `model "${name}" has no version "${version}" (served: ${model.version})`);
  }
  return model;
}

async function infer(ctx: TeacherContext, { params, body }: RouteRequest): Promise<Reply> {
  const model = modelFor(ctx, params);
  const request = parseRequest(v2.InferRequest, body);
  const texts = v2.textsOf(request, { maxBatch: ctx.maxBatch, checkText }, invalid);
  const wanted = v2.outputsOf(request, invalid);
  await ctx.chaos.beforeInference();
  const predictions = await model.predict(texts);
  const answer: v2.InferResponse = {
    model_name: model.name,
    model_version: model.version,
    ...(request.id !== undefined ? { id: request.id } : {}),
    outputs: v2.classifierOutputs(wanted, predictions, model.labels.length),
  };
  return { body: answer };
}

export function v2Routes(ctx: TeacherContext): Route[] {
  const get = (path: string, handle: Route["handle"]): Route => ({
    method: "GET",
    path,
    surface: "v2",
    handle,
  });
  const post = (path: string, handle: Route["handle"]): Route => ({
    method: "POST",
    path,
    surface: "v2",
    json: true,
    handle,
  });
  const metadata = (r: RouteRequest): Reply => ({ body: modelMetadata(modelFor(ctx, r.params)) });
  const modelReady = (r: RouteRequest): Reply => {
    const model = modelFor(ctx, r.params);
    const ready = ctx.isReady();
    return { status: ready ? 200 : 503, body: { name: model.name, ready } };
  };
  const run = (r: RouteRequest) => infer(ctx, r);
  return [
    get("/v2/health/live", () => ({ body: { live: true } })),
    get("/v2/health/ready", () => {
      const ready = ctx.isReady();
      return { status: ready ? 200 : 503, body: { ready } };
    }),
    get("/v2", () => ({ body: { name: SERVER_NAME, version: SERVER_VERSION, extensions: [] } })),
    get("/v2/models/:model", metadata),
    get("/v2/models/:model/versions/:version", metadata),
    get("/v2/models/:model/ready", modelReady),
    get("/v2/models/:model/versions/:version/ready", modelReady),
    post("/v2/models/:model/infer", run),
    post("/v2/models/:model/versions/:version/infer", run),
  ];
}
