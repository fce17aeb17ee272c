import type { z } from "zod";
import { ModelManifest } from "../../core/manifest.ts";

/**
 * Where the registry keeps things. The names and versions are the manifest's own patterns, so a path
 * parameter that passes here is one a manifest could carry, and neither can contain a "/" that would
 * reach outside its prefix.
 */
export const ModelName = ModelManifest.shape.name;
export const Version = ModelManifest.shape.version;

/** R2 (MODELS_BUCKET): one folder per uploaded version. */
export const MODELS_PREFIX = "models/";
export const versionPrefix = (name: string): string => `${MODELS_PREFIX}${name}/`;
export const manifestKey = (name: string, version: string): string =>
  `${versionPrefix(name)}${version}/manifest.json`;
/**
 * A version's graph, named by its SHA-256 (the manifest's onnx.sha256): racing uploads of one version
 * write different keys, and the manifest, written last and only once, picks the one that is served.
 */
export const graphKey = (name: string, version: string, sha256: string): string =>
  `${versionPrefix(name)}${version}/student-${sha256}.onnx`;
/** Where versions uploaded before graphs were keyed by hash keep theirs (read only). */
export const legacyOnnxKey = (name: string, version: string): string =>
  `${versionPrefix(name)}${version}/student.onnx`;

/** KV (REGISTRY): one pointer per model. */
export const POINTER_PREFIX = "pointer/";
export const pointerKey = (name: string): string => `${POINTER_PREFIX}${name}`;

/** KV (REGISTRY): one definition per model created from a label set, or whose teacher is its own. */
export const DEFINITION_PREFIX = "definition/";
export const definitionKey = (name: string): string => `${DEFINITION_PREFIX}${name}`;

/** A version string from an R2 key of the form models/{name}/{version}/manifest.json, if it is one. */
export function versionOfManifestKey(name: string, key: string): string | null {
  const prefix = versionPrefix(name);
  if (!key.startsWith(prefix) || !key.endsWith("/manifest.json")) return null;
  const version = key.slice(prefix.length, -"/manifest.json".length);
  return Version.safeParse(version).success ? version : null;
}

export type ModelName = z.infer<typeof ModelName>;
