import type { MiddlewareHandler } from "hono";
import { bodyLimit } from "hono/body-limit";
import { z } from "zod";
import { sha256Hex } from "../../../core/digest.ts";
import { ModelManifest } from "../../../core/manifest.ts";
import type { AppContext, AppEnv } from "../../context.ts";
import { ApiError, describeIssues } from "../../errors.ts";
import { NO_STUDENT_VERSION } from "../../registry/model-definition.ts";
import { GraphRefused, probeOnnx } from "../../registry/probe.ts";
import { requireDefinedLabels } from "./definition.ts";
import type { Uploaded } from "./schemas.ts";
import type { Stores } from "./state.ts";
import { requireVersions } from "./state.ts";

/**
 * PUT /admin/models/{name}/versions/{version}: multipart/form-data with a `manifest` part (JSON, as text
 * or a file) and an `onnx` part (the student.onnx bytes). Everything a server can check before serving
 * is checked before anything is stored; the cheap checks come first, and the version's existence (409)
 * before the costly validation of the graph (registry/probe.ts). A manifest that does not hold together
 * with its bytes is a 400; a graph that cannot serve within the budget, a 422.
 */
const PARTS = new Set(["manifest", "onnx"]);

/** The parts as the OpenAPI document states them; readParts checks them as they stream in. */
export const UPLOAD_PARTS = z.strictObject({
  manifest: z.string().meta({ description: "manifest.json (text or file part)" }),
  onnx: z.string().meta({ format: "binary", description: "student.onnx (file part)" }),
});
const MULTIPART = /^multipart\/form-data\s*;/i;

const invalidModel = (message: string) => new ApiError(400, "invalid_model", message);

/** 415 unless multipart, 413 over MAX_UPLOAD_BYTES (Content-Length, or counted while streaming). */
export const uploadBody: MiddlewareHandler<AppEnv> = async (c, next) => {
  if (!MULTIPART.test(c.req.header("content-type") ?? ""))
    throw new ApiError(415, "unsupported_media_type", "content-type must be multipart/form-data");
  const maxSize = c.var.services.config.registry.maxUploadBytes;
  return bodyLimit({
    maxSize,
    onError: () => {
      throw new ApiError(
        413,
        "payload_too_large",
        `the upload is larger than MAX_UPLOAD_BYTES (${maxSize} bytes)`,
      );
    },
  })(c, next);
};

async function readParts(c: AppContext): Promise<{ manifestText: string; onnx: ArrayBuffer }> {
  let form: FormData;
  try {
    form = await c.req.formData();
  } catch (error) {
    if (error instanceof ApiError) throw error; // the body limit, raised while reading
    throw new ApiError(400, "invalid_request", "the body is not valid multipart/form-data");
  }
  for (const key of new Set(form.keys()))
    if (!PARTS.has(key))
      throw new ApiError(400, "invalid_request", `unexpected part "${key}" (parts: manifest, onnx)`);
  const one = (key: string) => {
    const values = form.getAll(key);
    if (values.length !== 1)
      throw new ApiError(400, "invalid_request", `the part "${key}" must be given exactly once`);
    return values[0]!;
  };
  const manifest = one("manifest");
  const onnx = one("onnx");
  // A text field would have been decoded as UTF-8, mangling the graph's bytes.
  if (typeof onnx === "string")
    throw new ApiError(400, "invalid_request", 'the part "onnx" must be a file (bytes), not a text field');
  return {
    manifestText: typeof manifest === "string" ? manifest : await manifest.text(),
    onnx: await onnx.arrayBuffer(),
  };
}

function parseManifest(text: string, name: string, version: string): ModelManifest {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw invalidModel("manifest: not valid JSON");
  }
  const parsed = ModelManifest.safeParse(raw);
  if (!parsed.success) throw invalidModel(`manifest: ${describeIssues(parsed.error)}`);
  const manifest = parsed.data;
  if (manifest.name !== name)
    throw invalidModel(`manifest.name is "${manifest.name}", the path says "${name}"`);
  if (manifest.version !== version)
    throw invalidModel(`manifest.version is "${manifest.version}", the path says "${version}"`);
  return manifest;
}

export async function uploadVersion(
  c: AppContext,
  stores: Stores,
  name: string,
  version: string,
): Promise<Uploaded> {
  const store = requireVersions(stores);
  const { manifestText, onnx } = await readParts(c);
  if (version === NO_STUDENT_VERSION)
    throw invalidModel(`version "${NO_STUDENT_VERSION}" is reserved: it names a model with no student`);
  const manifest = parseManifest(manifestText, name, version);
  await requireDefinedLabels(stores, name, manifest.labels);
  if (onnx.byteLength !== manifest.onnx.bytes)
    throw invalidModel(`onnx is ${onnx.byteLength} bytes, manifest.onnx.bytes says ${manifest.onnx.bytes}`);
  const sha256 = await sha256Hex(onnx);
  if (sha256 !== manifest.onnx.sha256)
    throw invalidModel(`onnx has SHA-256 ${sha256}, manifest.onnx.sha256 says ${manifest.onnx.sha256}`);
  const exists = () =>
    new ApiError(409, "version_exists", `${name} already has a version "${version}"; versions are immutable`);
  if (version === stores.catalog.bundledVersion(name) || (await store.exists(name, version))) throw exists();
  try {
    await probeOnnx(manifest, onnx);
  } catch (error) {
    // The package holds together but its graph cannot serve: 422, naming the fault.
    if (error instanceof GraphRefused) throw new ApiError(422, "invalid_model", `onnx: ${error.message}`);
    throw error;
  }
  // Conditional on the manifest being absent: of two racing uploads of one version, one gets a 409.
  if (!(await store.put(manifest, manifestText, onnx))) throw exists();
  return { name, version, bytes: onnx.byteLength, sha256 };
}
