import { createRoute } from "@hono/zod-openapi";
import { z } from "zod";
import type { ModelManifest } from "../../../core/manifest.ts";
import type { AppContext, AppEnv } from "../../context.ts";
import { ApiError, parseRequest } from "../../errors.ts";
import { jsonBody } from "../../middleware/json-body/index.ts";
import type { ModelCatalog } from "../../models/catalog.ts";
import { type DocumentedApp, documentedApp, jsonContent, jsonRequest, mount } from "../../openapi.ts";
import { ModelName, Version } from "../../registry/keys.ts";
import { ModelDefinitionInput } from "../../registry/model-definition.ts";
import { promote, rollback } from "../../registry/pointer.ts";
import { adminRoute } from "../route.ts";
import { putDefinition, requireDefinedLabels } from "./definition.ts";
import { mountEvidenceRoutes } from "./evidence.ts";
import { ModelState, ModelStates, PromoteRequest, Uploaded } from "./schemas.ts";
import {
  currentPointer,
  modelNames,
  modelState,
  requireModel,
  requirePointers,
  type Stores,
  storesOf,
} from "./state.ts";
import { UPLOAD_PARTS, uploadBody, uploadVersion } from "./upload.ts";

/**
 * The model registry's admin routes: list, define a model (labels, own teacher), upload a version,
 * promote (live or canary), roll back; shadows and canary decisions are in evidence.ts.
 * Gateways pick a change up within REGISTRY_TTL_MS (see models/catalog.ts).
 */
const MAX_PROMOTE_BODY = 4096;
/** MAX_LABELS labels of MAX_LABEL_CHARS characters, and room for the teacher. */
const MAX_DEFINITION_BODY = 256 * 1024;

function param(c: AppContext, key: "name" | "version"): string {
  const value = c.req.param(key) ?? "";
  return parseRequest(key === "name" ? ModelName : Version, value, key);
}

/**
 * 404 unless the version can be served: bundled (null), or in R2 with its manifest (returned) and the
 * graph it names.
 */
async function requireServable(stores: Stores, name: string, version: string): Promise<ModelManifest | null> {
  if (version === stores.catalog.bundledVersion(name)) return null;
  const missing = (why: string) =>
    new ApiError(404, "version_not_found", `${name} has no servable version "${version}": ${why}`);
  if (!stores.versions) throw missing("it is not the bundled version, and MODELS_BUCKET is not bound");
  let manifest: Awaited<ReturnType<typeof stores.versions.manifest>>;
  try {
    manifest = await stores.versions.manifest(name, version);
  } catch (error) {
    throw missing(error instanceof Error ? error.message : String(error));
  }
  if (manifest === null) throw missing("it was never uploaded");
  await requireDefinedLabels(stores, name, manifest.labels);
  const checksum = await stores.versions.onnxChecksum(manifest);
  if (checksum !== manifest.onnx.sha256)
    throw missing("its student.onnx is missing or does not match its manifest");
  return manifest;
}

const NameParam = ModelName.meta({ description: "Model name" });
const nameParams = z.object({ name: NameParam });

const listRoute = adminRoute(
  createRoute({
    method: "get",
    path: "/admin/models",
    operationId: "listModelStates",
    summary: "Every model: pointer and versions",
    responses: { 200: jsonContent(ModelStates, "OK") },
  }),
);

const getRoute = adminRoute(
  createRoute({
    method: "get",
    path: "/admin/models/{name}",
    operationId: "getModelState",
    summary: "One model: pointer, versions, definition and configuration warnings",
    request: { params: nameParams },
    responses: { 200: jsonContent(ModelState, "OK") },
  }),
  400,
  404,
);

const defineRoute = adminRoute(
  createRoute({
    method: "put",
    path: "/admin/models/{name}",
    operationId: "defineModel",
    summary: "Create or replace a model from its labels and, optionally, its own teacher",
    description:
      'Until a student version is promoted, every request of the model goes to its teacher and is logged (version "none"); if the teacher fails there is nothing to fall back on: 503 teacher_unavailable with Retry-After. A definition for a model with a live student must repeat its labels, in order, and gives it its own teacher. `teacher.secret` is the NAME of the Worker secret holding the key, never the key. Versions uploaded or promoted later must have the same labels, in order.',
    request: { params: nameParams, body: jsonRequest(ModelDefinitionInput) },
    responses: {
      200: jsonContent(ModelState, "Replaced"),
      201: jsonContent(ModelState, "Created"),
    },
  }),
  400,
  413,
  415,
);

const uploadRoute = adminRoute(
  createRoute({
    method: "put",
    path: "/admin/models/{name}/versions/{version}",
    operationId: "uploadModelVersion",
    summary: "Upload a version (validated, immutable)",
    description:
      "multipart/form-data, at most MAX_UPLOAD_BYTES bytes (this deployment's figure is in the document's description). The manifest must validate, name this model and version, and match the graph's byte length and SHA-256 (else 400). The graph must fit the budget (nodes, operators, parameters, finite weights) before it is loaded, then give finite [batch, classes] logits in onnxruntime-web for probe texts at batch sizes 1, 2 and 7 and for every feature id the featuriser can emit (else 422).",
    request: {
      params: z.object({
        name: NameParam,
        version: Version.meta({ description: "Version, as in the manifest" }),
      }),
      body: { required: true, content: { "multipart/form-data": { schema: UPLOAD_PARTS } } },
    },
    responses: { 201: jsonContent(Uploaded, "Stored") },
  }),
  400,
  409,
  413,
  415,
  422,
);

/** The files of a stored version, as the toolkit's package layout names them. */
const VERSION_FILES = ["manifest.json", "student.onnx"] as const;

const downloadRoute = adminRoute(
  createRoute({
    method: "get",
    path: "/admin/models/{name}/versions/{version}/{file}",
    operationId: "downloadModelVersionFile",
    summary: "Download an uploaded version's manifest or graph",
    description:
      "The bytes stored in MODELS_BUCKET, as uploaded: what the toolkit's evaluation gate runs the live student from. Bundled versions ship in the repository's models/ folder and are not served here.",
    request: {
      params: z.object({
        name: NameParam,
        version: Version.meta({ description: "Version, as in the manifest" }),
        file: z.enum(VERSION_FILES).meta({ description: "Which file of the version" }),
      }),
    },
    responses: {
      200: {
        description: "The file (manifest.json as JSON, student.onnx as bytes)",
        content: {
          "application/json": { schema: z.unknown() },
          "application/octet-stream": { schema: z.string().meta({ format: "binary" }) },
        },
      },
    },
  }),
  400,
  404,
);

const promoteRoute = adminRoute(
  createRoute({
    method: "post",
    path: "/admin/models/{name}/promote",
    operationId: "promoteModel",
    summary: "Make a version live, or a canary for a share of inference requests",
    request: { params: nameParams, body: jsonRequest(PromoteRequest) },
    responses: { 200: jsonContent(ModelState, "The new pointer") },
  }),
  400,
  404,
  413,
  415,
);

const rollbackRoute = adminRoute(
  createRoute({
    method: "post",
    path: "/admin/models/{name}/rollback",
    operationId: "rollbackModel",
    summary: "Make the last previous version live again (the canary is dropped)",
    request: { params: nameParams },
    responses: { 200: jsonContent(ModelState, "The new pointer") },
  }),
  400,
  404,
);

export function modelAdminRoutes(catalog: ModelCatalog): DocumentedApp {
  const stores = (c: AppContext) => storesOf(catalog, c.env);
  const app = documentedApp();
  mount(app, listRoute, async (c) => {
    const s = stores(c);
    const names = await modelNames(s);
    const models = await Promise.all(names.map((name) => requireModel(s, name)));
    return c.json({ models });
  });
  mount(app, getRoute, async (c) => c.json(await requireModel(stores(c), param(c, "name"))));
  mount(app, defineRoute, jsonBody<AppEnv>({ maxBytes: () => MAX_DEFINITION_BODY }), async (c) => {
    const name = param(c, "name");
    const { state, created } = await putDefinition(c, stores(c), name);
    return c.json(state, created ? 201 : 200, created ? { location: `/admin/models/${name}` } : {});
  });
  mount(app, uploadRoute, uploadBody, async (c) => {
    const name = param(c, "name");
    const version = param(c, "version");
    const uploaded = await uploadVersion(c, stores(c), name, version);
    return c.json(uploaded, 201, { location: `/admin/models/${name}` });
  });
  mount(app, downloadRoute, async (c) => {
    const name = param(c, "name");
    const version = param(c, "version");
    const file = parseRequest(z.enum(VERSION_FILES), c.req.param("file") ?? "", "file");
    const s = stores(c);
    await requireModel(s, name);
    if (version === s.catalog.bundledVersion(name))
      throw new ApiError(
        404,
        "version_not_found",
        `${name} ${version} is bundled: it ships in models/${name}`,
      );
    const manifest = await requireServable(s, name, version);
    if (!s.versions || manifest === null)
      throw new ApiError(404, "version_not_found", `${name} ${version} is not stored`);
    if (file === "manifest.json") return c.json(manifest);
    const bytes = await s.versions.onnx(manifest);
    if (bytes === null) throw new ApiError(404, "version_not_found", `${name} ${version} has no graph`);
    return c.body(bytes, 200, { "content-type": "application/octet-stream" });
  });
  mount(app, promoteRoute, jsonBody<AppEnv>({ maxBytes: () => MAX_PROMOTE_BODY }), async (c) => {
    const name = param(c, "name");
    const body = parseRequest(PromoteRequest, c.var.jsonBody);
    const s = stores(c);
    const pointers = requirePointers(s);
    await requireModel(s, name);
    await requireServable(s, name, body.version);
    const current = await currentPointer(s, name);
    const next = promote(current, body.version, body.canary_percent, new Date(), body.decision);
    await pointers.put(name, next);
    return c.json(await modelState(s, name, next));
  });
  mount(app, rollbackRoute, async (c) => {
    const name = param(c, "name");
    const s = stores(c);
    const pointers = requirePointers(s);
    await requireModel(s, name);
    const next = rollback(await currentPointer(s, name), new Date());
    await pointers.put(name, next);
    return c.json(await modelState(s, name, next));
  });
  mountEvidenceRoutes(app, stores, (c) => param(c, "name"), requireServable);
  return app;
}
