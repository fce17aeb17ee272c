import type { ModelManifest } from "../../../core/manifest.ts";
import { ApiError } from "../../errors.ts";
import { requireModel, type Stores } from "../models/state.ts";
import type { Threshold } from "./schema.ts";

/**
 * Which routing rule the statistics are read against: the chosen version's, else the live version's, as
 * the registry holds them now (the admin routes read KV and R2 directly, never the serving cache).
 * An unknown model is a 404 model_not_found, a version the model never had a 404 version_not_found.
 */
async function manifestOf(stores: Stores, name: string, version: string): Promise<ModelManifest | null> {
  if (version === stores.catalog.bundledVersion(name)) return stores.catalog.bundled.manifest(name);
  return (await stores.versions?.manifest(name, version)) ?? null;
}

export async function thresholdOf(stores: Stores, name: string, version: string | null): Promise<Threshold> {
  const state = await requireModel(stores, name);
  if (version !== null && !state.versions.some((v) => v.version === version))
    throw new ApiError(404, "version_not_found", `${name} has no version "${version}"`);
  const wanted = version ?? state.live;
  if (wanted === null) return null;
  let manifest: ModelManifest | null;
  try {
    manifest = await manifestOf(stores, name, wanted);
  } catch (error) {
    // The figures are still worth having without the rule: the rule is left out and the cause logged.
    console.error(`admin stats: the manifest of ${name}@${wanted} cannot be read`, error);
    return null;
  }
  if (manifest === null) {
    console.error(`admin stats: ${name}@${wanted} is live but its manifest is not in MODELS_BUCKET`);
    return null;
  }
  return { score: manifest.routing.score, value: manifest.routing.threshold, version: wanted };
}
