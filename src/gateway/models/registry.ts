import { ModelManifest } from "../../core/manifest.ts";
import type { EmbeddingBagWeights } from "../../core/model.ts";
import { readEnsembleWeights } from "../../core/onnx-weights.ts";
import { ApiError } from "../errors.ts";
import { createSession, type InferenceSession, runLogits } from "../runtime/onnx-session.ts";
import { createSerial, type Serial } from "../runtime/serial.ts";
import type { ModelPackage } from "./bundled.ts";

/**
 * The models this Worker serves. Manifests are validated on first use; the onnxruntime-web session and
 * the weights (read back from the same bytes, for explanations) are created on first need and cached
 * per isolate. The caches are keyed by the package's bytes at module scope, so every app instance in an
 * isolate (tests build several) shares one session per model.
 */
export interface LoadedModel {
  manifest: ModelManifest;
  /** Raw logits, one row per bag, through ONE session.run (batches are padded by core/batch.ts). */
  logits(bags: readonly Int32Array[]): Promise<Float32Array[]>;
}

interface SessionEntry {
  session: InferenceSession;
  serial: Serial;
}

const sessions = new WeakMap<ArrayBuffer, Promise<SessionEntry>>();
const weights = new WeakMap<ArrayBuffer, readonly EmbeddingBagWeights[]>();
const manifests = new WeakMap<ModelPackage, ModelManifest>();

async function digestHex(bytes: ArrayBuffer): Promise<string> {
  const hash = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
  return Array.from(hash, (b) => b.toString(16).padStart(2, "0")).join("");
}

async function openSession(name: string, manifest: ModelManifest, bytes: ArrayBuffer): Promise<SessionEntry> {
  // The manifest pins the graph it was evaluated with; serving other bytes would serve other numbers.
  if (bytes.byteLength !== manifest.onnx.bytes || (await digestHex(bytes)) !== manifest.onnx.sha256)
    throw new Error(`model ${name}: student.onnx does not match manifest.onnx (bytes/sha256)`);
  return { session: await createSession(bytes), serial: createSerial() };
}

export class ModelRegistry {
  constructor(private readonly packages: Readonly<Record<string, ModelPackage>>) {}

  names(): string[] {
    return Object.keys(this.packages);
  }

  has(name: string): boolean {
    return Object.hasOwn(this.packages, name);
  }

  private package(name: string): ModelPackage {
    if (!this.has(name))
      throw new ApiError(
        404,
        "model_not_found",
        `unknown model "${name}" (models: ${this.names().join(", ")})`,
      );
    return this.packages[name]!;
  }

  /** The validated manifest. Throws ApiError 404 for an unknown name, 500 for an invalid package. */
  manifest(name: string): ModelManifest {
    const pkg = this.package(name);
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

  /** True once this isolate holds a session for `name` (no loading is triggered). */
  isLoaded(name: string): boolean {
    return this.has(name) && sessions.has(this.package(name).onnx);
  }

  /** The model with its session, created on first call and cached; a failed load is retried next time. */
  async load(name: string): Promise<LoadedModel> {
    const manifest = this.manifest(name);
    const bytes = this.package(name).onnx;
    let entry = sessions.get(bytes);
    if (!entry) {
      entry = openSession(name, manifest, bytes);
      sessions.set(bytes, entry);
      entry.catch(() => sessions.delete(bytes));
    }
    let ready: SessionEntry;
    try {
      ready = await entry;
    } catch (error) {
      console.error(`model ${name}: session failed`, error);
      throw new ApiError(500, "model_unavailable", `model "${name}" could not be loaded`);
    }
    const classes = manifest.labels.length;
    return {
      manifest,
      logits: (bags) => ready.serial(() => runLogits(ready.session, manifest.onnx, bags, classes)),
    };
  }

  /** The student's weights as float32 (int8/float16 dequantised exactly as the graph does), cached. */
  weights(name: string): readonly EmbeddingBagWeights[] {
    const bytes = this.package(name).onnx;
    let members = weights.get(bytes);
    if (!members) {
      members = readEnsembleWeights(bytes);
      weights.set(bytes, members);
    }
    return members;
  }
}
