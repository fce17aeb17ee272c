import { ApiError } from "../../errors.ts";
import type { ModelCatalog } from "../../models/catalog.ts";
import type { RegistryBindings } from "../../registry/bindings.ts";
import { DefinitionStore } from "../../registry/definitions.ts";
import type { ModelDefinition } from "../../registry/model-definition.ts";
import { implicitPointer, type Pointer } from "../../registry/pointer.ts";
import { PointerStore } from "../../registry/pointers.ts";
import { VersionStore } from "../../registry/versions.ts";
import { secretOf } from "../../teacher-client/per-spec.ts";
import type { ModelState, VersionInfo } from "./schemas.ts";

/**
 * What the admin routes know of a model: the bundled package (always a version of its model), the
 * versions in R2 and the pointer in KV. Admin reads go to KV and R2 directly, never through the
 * serving cache, so an operator always sees the stored state.
 */
export interface Stores {
  catalog: ModelCatalog;
  pointers: PointerStore | null;
  versions: VersionStore | null;
  definitions: DefinitionStore | null;
  /** The Worker env, to tell whether the secrets definitions name are set. */
  env: object;
}

export function storesOf(catalog: ModelCatalog, env: RegistryBindings | undefined): Stores {
  return {
    catalog,
    pointers: env?.REGISTRY ? new PointerStore(env.REGISTRY) : null,
    versions: env?.MODELS_BUCKET ? new VersionStore(env.MODELS_BUCKET) : null,
    definitions: env?.REGISTRY ? new DefinitionStore(env.REGISTRY) : null,
    env: env ?? {},
  };
}

export function requirePointers(stores: Stores): PointerStore {
  if (!stores.pointers)
    throw new ApiError(
      503,
      "not_configured",
      "the model registry is not configured: bind the KV namespace REGISTRY",
    );
  return stores.pointers;
}

export function requireDefinitions(stores: Stores): DefinitionStore {
  if (!stores.definitions)
    throw new ApiError(
      503,
      "not_configured",
      "the model registry is not configured: bind the KV namespace REGISTRY",
    );
  return stores.definitions;
}

export function requireVersions(stores: Stores): VersionStore {
  if (!stores.versions)
    throw new ApiError(
      503,
      "not_configured",
      "the model registry is not configured: bind the R2 bucket MODELS_BUCKET",
    );
  return stores.versions;
}

export async function modelNames(stores: Stores): Promise<string[]> {
  const [stored, uploaded, defined] = await Promise.all([
    stores.pointers?.names() ?? [],
    stores.versions?.models() ?? [],
    stores.definitions?.names() ?? [],
  ]);
  return [...new Set([...stores.catalog.bundled.names(), ...stored, ...uploaded, ...defined])].sort();
}

/** The pointer in force: the stored one, else the implicit one (bundled version live); null if neither. */
export async function currentPointer(
  stores: Stores,
  name: string,
): Promise<Pointer | Omit<Pointer, "updated_at"> | null> {
  return (await stores.pointers?.get(name)) ?? implicitPointer(stores.catalog.bundledVersion(name));
}

function bundledVersionInfo(stores: Stores, name: string): VersionInfo | null {
  if (stores.catalog.bundledVersion(name) === null) return null;
  const { version, onnx } = stores.catalog.bundled.manifest(name);
  return { version, source: "bundled", bytes: onnx.bytes, sha256: onnx.sha256, uploaded_at: null };
}

/** The model's state, or null when nothing (bundle, R2, KV) knows the name. */
export async function modelState(
  stores: Stores,
  name: string,
  pointer?: Pointer,
): Promise<ModelState | null> {
  const [current, uploaded, definition] = await Promise.all([
    pointer ?? currentPointer(stores, name),
    stores.versions?.list(name) ?? [],
    stores.definitions?.get(name) ?? null,
  ]);
  const bundled = bundledVersionInfo(stores, name);
  const versions: VersionInfo[] = [
    ...(bundled ? [bundled] : []),
    ...uploaded.map((v): VersionInfo => ({ ...v, source: "registry" })),
  ];
  if (current === null && versions.length === 0 && definition === null) return null;
  return {
    name,
    live: current?.live ?? null,
    previous: current?.previous ?? [],
    canary: current?.canary ?? null,
    shadow: current?.shadow ?? null,
    updated_at: current && "updated_at" in current ? current.updated_at : null,
    versions,
    definition,
    warnings: definitionWarnings(definition, stores.env),
  };
}

/** What an operator should fix in a definition for it to work here (a secret it names is not set). */
function definitionWarnings(definition: ModelDefinition | null, env: object): string[] {
  const secret = definition?.teacher?.secret;
  if (secret === undefined || secretOf(env, secret) !== undefined) return [];
  return [
    `the teacher's secret ${secret} is not set in this gateway's env: its calls fail as not_configured (set it with wrangler secret put ${secret})`,
  ];
}

export async function requireModel(stores: Stores, name: string): Promise<ModelState> {
  const state = await modelState(stores, name);
  if (state === null) throw new ApiError(404, "model_not_found", `the registry knows no model "${name}"`);
  return state;
}
