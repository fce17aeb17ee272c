import { ModelManifest } from "../../core/manifest.ts";
import type { EmbeddingBagWeights } from "../../core/model.ts";
import { ApiError } from "../errors.ts";
import { type ModelDefinition, NO_STUDENT_VERSION } from "../registry/model-definition.ts";
import type { ModelPackage } from "./package.ts";
import { isOpen, NoWeights, openModel, weightsOf } from "./sessions.ts";

/**
 * The models one request sees: a fixed package per model name. The bundled set is one such registry;
 * the catalog (catalog.ts) builds another per request when the registry's pointers name other versions,
 * so a request uses one version of a model from its first lookup to its answer. Manifests are validated
 * on first use; sessions live in sessions.ts, per isolate, shared by every registry.
 *
 * A model may also have a definition (labels, its own teacher; registry/model-definition.ts). A model
 * with a definition and no package has no student yet: `hasStudent` is false, and `manifest` and `load`
 * refuse it (409 no_student); the cascade answers it from the teacher alone.
 */
export interface LoadedModel {
  manifest: ModelManifest;
  /** Raw logits, one row per bag, through ONE session.run (batches are padded by core/batch.ts). */
  logits(bags: readonly Int32Array[]): Promise<Float32Array[]>;
}

const manifests = new WeakMap<ModelPackage, ModelManifest>();

const NO_DEFINITIONS: ReadonlyMap<string, ModelDefinition> = new Map();

export class ModelSet {
  constructor(
    private readonly packages: Readonly<Record<string, ModelPackage>>,
    private readonly definitions: ReadonlyMap<string, ModelDefinition> = NO_DEFINITIONS,
  ) {}

  names(): string[] {
    return [...new Set([...Object.keys(this.packages), ...this.definitions.keys()])];
  }

  has(name: string): boolean {
    return this.hasStudent(name) || this.definitions.has(name);
  }

  /** 404 model_not_found unless the name is served (with or without a student). */
  require(name: string): void {
    if (!this.has(name))
      throw new ApiError(
        404,
        "model_not_found",
        `unknown model "${name}" (models: ${this.names().join(", ")})`,
      );
  }

  /** True when a student version serves the model (false for a label-set model never promoted). */
  hasStudent(name: string): boolean {
    return Object.hasOwn(this.packages, name);
  }

  /** The model's definition (labels, own teacher), or null for a model only its package describes. */
  definition(name: string): ModelDefinition | null {
    return this.definitions.get(name) ?? null;
  }

  /** The version that answers for the model: its student's, or NO_STUDENT_VERSION while it has none. */
  version(name: string): string {
    this.require(name);
    return this.hasStudent(name) ? this.manifest(name).version : NO_STUDENT_VERSION;
  }

  /** The labels the model answers with: its student's, else its definition's. */
  labels(name: string): readonly string[] {
    this.require(name);
    return this.hasStudent(name) ? this.manifest(name).labels : this.definitions.get(name)!.labels;
  }

  private package(name: string): ModelPackage {
    this.require(name);
    if (!this.hasStudent(name))
      throw new ApiError(
        409,
        "no_student",
        `model "${name}" has no student yet: upload and promote a version first`,
      );
    return this.packages[name]!;
  }

  /** The validated manifest. Throws ApiError 404 for an unknown name, 500 for an invalid package. */
  manifest(name: string): ModelManifest {
    const pkg = this.package(name);
    if (pkg.unavailable !== undefined) throw new ApiError(500, "model_unavailable", pkg.unavailable);
    let manifest = manifests.get(pkg);
    if (!manifest) {
      const parsed = ModelManifest.safeParse(pkg.manifest);
      if (!parsed.success || parsed.data.name !== name) {
        console.error(`model ${name}: invalid manifest`, parsed.error?.issues ?? "name mismatch");
        throw new ApiError(500, "model_unavailable", `model "${name}" has an invalid manifest`);
      }
      manifest = parsed.data;
      manifests.set(pkg, manifest);
    }
    return manifest;
  }

  /** True once this isolate holds a session for the model's graph (no loading is triggered). */
  isLoaded(name: string): boolean {
    if (!this.hasStudent(name)) return false;
    try {
      return isOpen(this.manifest(name));
    } catch {
      return false;
    }
  }

  /**
   * True when the model's graph is at hand without creating a session: loaded, bundled, or stored in R2
   * (a metadata read). Throws like `manifest` for a package that cannot serve.
   */
  async graphStored(name: string): Promise<boolean> {
    const manifest = this.manifest(name);
    const pkg = this.package(name);
    if (isOpen(manifest) || typeof pkg.onnx !== "function") return true;
    return (await pkg.graphStored?.()) ?? true;
  }

  /** The model with its session, created on first call and cached; a failed load is retried next time. */
  async load(name: string): Promise<LoadedModel> {
    const manifest = this.manifest(name);
    try {
      const session = await openModel(`${name}@${manifest.version}`, manifest, this.package(name));
      return { manifest, logits: (bags) => session.logits(bags) };
    } catch (error) {
      console.error(`model ${name}@${manifest.version}: session failed`, error);
      throw new ApiError(500, "model_unavailable", `model "${name}" could not be loaded`);
    }
  }

  /**
   * The student's weights as float32 (int8/float16 dequantised exactly as the graph does), cached; for
   * explanations, which need a graph written by our exporter: any other is a 400 saying so.
   */
  weights(name: string): readonly EmbeddingBagWeights[] {
    const manifest = this.manifest(name);
    try {
      return weightsOf(`${name}@${manifest.version}`, manifest, this.package(name));
    } catch (error) {
      if (!(error instanceof NoWeights)) throw error;
      throw new ApiError(
        400,
        "invalid_request",
        `model "${name}" version ${manifest.version} cannot explain: its graph was not written by the toolkit's exporter (${error.message})`,
      );
    }
  }
}
