import type { RegistryBindings } from "../registry/bindings.ts";
import { chooseVersion, inShadow } from "../registry/canary.ts";
import type { Pointer } from "../registry/pointer.ts";
import { PointerCache } from "../registry/pointer-cache.ts";
import { VersionStore } from "../registry/versions.ts";
import { ModelSet } from "./model-set.ts";
import type { ModelPackage } from "./package.ts";

/**
 * Every model this isolate can serve: the bundled packages, and the versions the registry (KV pointers,
 * R2 versions) puts in their place. Per request it answers which version of each model serves it:
 * - the pointer (cached per isolate for REGISTRY_TTL_MS, see pointer-cache.ts) names the live version
 *   and maybe a canary, chosen for this request by a stable hash of its id (registry/canary.ts);
 * - the bundled version is served from the bundle, any other from R2 (manifest read once per isolate:
 *   versions are immutable; the graph on first use, see sessions.ts);
 * - a version that cannot be read falls back to the live one, then to the bundled package, logged, so
 *   a registry fault degrades to the last good model instead of failing requests.
 * Model definitions (registry/model-definition.ts) come with the pointers: a model created from a label
 * set and never promoted has a definition and no package, and is answered by its teacher alone.
 * Without a REGISTRY binding, or with nothing in it, the bundled registry serves as is.
 */
interface RemoteEntry {
  at: number;
  found: boolean;
  pkg: Promise<ModelPackage | null>;
}

export interface Shadowing {
  version: string;
  /** The live version the shadow is compared with. */
  live: string;
  models: ModelSet;
}

/** Manifests are small, and a long-lived isolate sees few versions; the bound is for the pathological case. */
const MAX_REMOTE = 64;

export class ModelCatalog {
  readonly bundled: ModelSet;
  private readonly pointers: PointerCache;
  private readonly remote = new Map<string, RemoteEntry>();

  constructor(
    private readonly packages: Readonly<Record<string, ModelPackage>>,
    private readonly now: () => number = Date.now,
  ) {
    this.bundled = new ModelSet(packages);
    this.pointers = new PointerCache(now);
  }

  /** The version shipped in models/ for a model, or null (not bundled, or its manifest is invalid). */
  bundledVersion(name: string): string | null {
    if (!this.bundled.has(name)) return null;
    try {
      return this.bundled.manifest(name).version;
    } catch {
      return null;
    }
  }

  /** The models as a request sees them; with a request id a canary may serve it, without one only live versions. */
  async registryFor(env: RegistryBindings, ttlMs: number, requestId: string | null): Promise<ModelSet> {
    if (!env.REGISTRY) return this.bundled;
    const { pointers, definitions } = await this.pointers.get(env.REGISTRY, ttlMs);
    if (pointers.size === 0 && definitions.size === 0) return this.bundled;
    const packages: Record<string, ModelPackage> = { ...this.packages };
    await Promise.all(
      [...pointers].map(async ([name, pointer]) => {
        const pkg = await this.packageFor(env.MODELS_BUCKET, name, pointer, requestId, ttlMs);
        if (pkg) packages[name] = pkg;
      }),
    );
    return new ModelSet(packages, definitions);
  }

  /**
   * The model's shadow (evidence/shadow.ts) when this request is in its share: its version alone in a
   * ModelSet, and the live version it runs beside. null without a shadow, outside its share, or when
   * its package cannot be read.
   */
  async shadowFor(
    env: RegistryBindings,
    ttlMs: number,
    name: string,
    requestId: string,
  ): Promise<Shadowing | null> {
    if (!env.REGISTRY) return null;
    const { pointers } = await this.pointers.get(env.REGISTRY, ttlMs);
    const pointer = pointers.get(name);
    const shadow = pointer?.shadow;
    if (!pointer || !shadow || !inShadow(shadow, requestId)) return null;
    const pkg =
      shadow.version === this.bundledVersion(name)
        ? this.packages[name]!
        : env.MODELS_BUCKET
          ? await this.remotePackage(env.MODELS_BUCKET, name, shadow.version, ttlMs)
          : null;
    return pkg
      ? { version: shadow.version, live: pointer.live, models: new ModelSet({ [name]: pkg }) }
      : null;
  }

  private async packageFor(
    bucket: R2Bucket | undefined,
    name: string,
    pointer: Pointer,
    requestId: string | null,
    ttlMs: number,
  ): Promise<ModelPackage | null> {
    const wanted = requestId === null ? pointer.live : chooseVersion(pointer, requestId);
    for (const version of new Set([wanted, pointer.live])) {
      if (version === this.bundledVersion(name)) return this.packages[name]!;
      const pkg = bucket ? await this.remotePackage(bucket, name, version, ttlMs) : null;
      if (pkg) return pkg;
      if (!bucket)
        console.error(`registry: ${name}@${version} is named by the pointer but MODELS_BUCKET is not bound`);
    }
    if (this.bundled.has(name)) return this.packages[name]!;
    return { manifest: null, onnx: new ArrayBuffer(0), unavailable: `model "${name}": no servable version` };
  }

  /**
   * A version's package from R2, cached for good once found (versions are immutable); a miss or an
   * error is cached for one TTL so a broken version costs one R2 read per TTL, not one per request.
   */
  private remotePackage(
    bucket: R2Bucket,
    name: string,
    version: string,
    ttlMs: number,
  ): Promise<ModelPackage | null> {
    const key = `${name}@${version}`;
    const hit = this.remote.get(key);
    if (hit && (hit.found || this.now() - hit.at < ttlMs)) return hit.pkg;
    const store = new VersionStore(bucket);
    const entry: RemoteEntry = { at: this.now(), found: false, pkg: Promise.resolve(null) };
    entry.pkg = store.manifest(name, version).then(
      (manifest): ModelPackage | null => {
        if (manifest === null) {
          console.error(`registry: ${key} is named by the pointer but is not in MODELS_BUCKET`);
          return null;
        }
        entry.found = true;
        const onnx = async () => {
          const bytes = await store.onnx(manifest);
          if (bytes === null) throw new Error(`${key}: student.onnx is missing from MODELS_BUCKET`);
          return bytes;
        };
        return { manifest, onnx, graphStored: () => store.hasGraph(manifest) };
      },
      (error: unknown) => {
        console.error(`registry: ${key} cannot be read`, error);
        return null;
      },
    );
    this.remote.delete(key);
    this.remote.set(key, entry);
    if (this.remote.size > MAX_REMOTE) this.remote.delete(this.remote.keys().next().value!);
    return entry.pkg;
  }
}
