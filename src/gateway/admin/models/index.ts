import { Hono } from "hono";
import type { AppContext, AppEnv } from "../../context.ts";
import { ApiError, parseRequest } from "../../errors.ts";
import { jsonBody } from "../../middleware/json-body/index.ts";
import type { ModelCatalog } from "../../models/catalog.ts";
import { ModelName, Version } from "../../registry/keys.ts";
import { promote, rollback } from "../../registry/pointer.ts";
import { putDefinition, requireDefinedLabels } from "./definition.ts";
import { PromoteRequest } from "./schemas.ts";
import {
  currentPointer,
  modelNames,
  modelState,
  requireModel,
  requirePointers,
  type Stores,
  storesOf,
} from "./state.ts";
import { uploadBody, uploadVersion } from "./upload.ts";

/**
 * The model registry's admin routes: list, define a model (labels, own teacher), upload a version,
 * promote (live or canary), roll back.
 * Gateways pick a change up within REGISTRY_TTL_MS (see models/catalog.ts).
 */
const MAX_PROMOTE_BODY = 4096;
/** MAX_LABELS labels of MAX_LABEL_CHARS characters, and room for the teacher. */
const MAX_DEFINITION_BODY = 256 * 1024;

function param(c: AppContext, key: "name" | "version"): string {
  const value = c.req.param(key) ?? "";
  return parseRequest(key === "name" ? ModelName : Version, value, key);
}

/** 404 unless the version can be served: bundled, or in R2 with its manifest and a matching graph. */
async function requireServable(stores: Stores, name: string, version: string): Promise<void> {
  if (version === stores.catalog.bundledVersion(name)) return;
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
  const checksum = await stores.versions.onnxChecksum(name, version);
  if (checksum !== manifest.onnx.sha256)
    throw missing("its student.onnx is missing or does not match its manifest");
}

export function modelAdminRoutes(catalog: ModelCatalog): Hono<AppEnv> {
  const stores = (c: AppContext) => storesOf(catalog, c.env);
  return new Hono<AppEnv>()
    .get("/admin/models", async (c) => {
      const s = stores(c);
      const names = await modelNames(s);
      const models = await Promise.all(names.map((name) => requireModel(s, name)));
      return c.json({ models });
    })
    .get("/admin/models/:name", async (c) => c.json(await requireModel(stores(c), param(c, "name"))))
    .put("/admin/models/:name", jsonBody<AppEnv>({ maxBytes: () => MAX_DEFINITION_BODY }), async (c) => {
      const name = param(c, "name");
      const { state, created } = await putDefinition(c, stores(c), name);
      return c.json(state, created ? 201 : 200, created ? { location: `/admin/models/${name}` } : {});
    })
    .put("/admin/models/:name/versions/:version", uploadBody, async (c) => {
      const name = param(c, "name");
      const version = param(c, "version");
      const uploaded = await uploadVersion(c, stores(c), name, version);
      return c.json(uploaded, 201, { location: `/admin/models/${name}` });
    })
    .post(
      "/admin/models/:name/promote",
      jsonBody<AppEnv>({ maxBytes: () => MAX_PROMOTE_BODY }),
      async (c) => {
        const name = param(c, "name");
        const body = parseRequest(PromoteRequest, c.var.jsonBody);
        const s = stores(c);
        const pointers = requirePointers(s);
        await requireModel(s, name);
        await requireServable(s, name, body.version);
        const next = promote(await currentPointer(s, name), body.version, body.canary_percent, new Date());
        await pointers.put(name, next);
        return c.json(await modelState(s, name, next));
      },
    )
    .post("/admin/models/:name/rollback", async (c) => {
      const name = param(c, "name");
      const s = stores(c);
      const pointers = requirePointers(s);
      await requireModel(s, name);
      const next = rollback(await currentPointer(s, name), new Date());
      await pointers.put(name, next);
      return c.json(await modelState(s, name, next));
    });
}
