import { sha256Hex } from "../../core/digest.ts";
import type { ModelManifest } from "../../core/manifest.ts";
import type { EmbeddingBagWeights } from "../../core/model.ts";
import { readEnsembleWeights } from "../../core/onnx-weights.ts";
import { createSession, type InferenceSession, runLogits } from "../runtime/onnx-session.ts";
import { createSerial, type Serial } from "../runtime/serial.ts";
import type { ModelPackage } from "./package.ts";

/**
 * onnxruntime-web sessions, per isolate, keyed by the graph's SHA-256 from the manifest (checked against
 * the bytes before the session is made). Keying by content rather than by version means a version that
 * only changes the manifest (a new temperature or threshold) reuses the session it already has, and
 * every app instance of an isolate (tests build several) shares one session per graph.
 *
 * Versions come and go with promotions, and the WASM heap never shrinks, so the cache is bounded: the
 * least recently used session is released. A request that still holds it notices inside the session's
 * serial queue (the release is queued behind the runs already there) and reopens it.
 */
export const MAX_SESSIONS = 6;

interface Entry {
  bytes: ArrayBuffer;
  session: InferenceSession;
  serial: Serial;
  released: boolean;
  weights?: readonly EmbeddingBagWeights[] | NoWeights;
}

/**
 * A graph whose weights cannot be read as our exporter writes them (another tool's graph, which may
 * serve but cannot be explained). Kept like weights, so each request does not parse the graph again.
 */
export class NoWeights extends Error {}

function ensembleWeights(bytes: ArrayBuffer): readonly EmbeddingBagWeights[] | NoWeights {
  try {
    return readEnsembleWeights(bytes);
  } catch (error) {
    return new NoWeights(error instanceof Error ? error.message : String(error));
  }
}

function orThrow(weights: readonly EmbeddingBagWeights[] | NoWeights): readonly EmbeddingBagWeights[] {
  if (weights instanceof NoWeights) throw weights;
  return weights;
}

/** In least-recently-used order: a Map iterates in insertion order, and a use re-inserts. */
const opening = new Map<string, Promise<Entry>>();
const ready = new Map<string, Entry>();

async function open(label: string, manifest: ModelManifest, source: ModelPackage["onnx"]): Promise<Entry> {
  const bytes = typeof source === "function" ? await source() : source;
  // The manifest pins the graph it was evaluated with; serving other bytes would serve other numbers.
  if (bytes.byteLength !== manifest.onnx.bytes || (await sha256Hex(bytes)) !== manifest.onnx.sha256)
    throw new Error(`model ${label}: student.onnx does not match manifest.onnx (bytes/sha256)`);
  return { bytes, session: await createSession(bytes), serial: createSerial(), released: false };
}

function acquire(label: string, manifest: ModelManifest, source: ModelPackage["onnx"]): Promise<Entry> {
  const key = manifest.onnx.sha256;
  const entry = opening.get(key);
  if (entry) {
    opening.delete(key);
    opening.set(key, entry);
    return entry;
  }
  const created = open(label, manifest, source);
  opening.set(key, created);
  // A failed load is forgotten so the next request retries it.
  created.then(
    (e) => opening.get(key) === created && ready.set(key, e),
    () => opening.get(key) === created && opening.delete(key),
  );
  while (opening.size > MAX_SESSIONS) {
    const [oldest, evicted] = opening.entries().next().value!;
    opening.delete(oldest);
    ready.delete(oldest);
    evicted
      .then((e) =>
        e.serial(async () => {
          e.released = true;
          await e.session.release();
        }),
      )
      .catch((error: unknown) => console.error("sessions: an evicted session could not be released", error));
  }
  return created;
}

export interface ModelSession {
  /** Raw logits, one row per bag, through ONE session.run (batches are padded by core/batch.ts). */
  logits(bags: readonly Int32Array[]): Promise<Float32Array[]>;
}

/** The session for a package's graph, created on first use and cached. Throws when it cannot load. */
export async function openModel(
  label: string,
  manifest: ModelManifest,
  pkg: ModelPackage,
): Promise<ModelSession> {
  const classes = manifest.labels.length;
  const run = (e: Entry, bags: readonly Int32Array[]) =>
    e.serial(async () => (e.released ? null : runLogits(e.session, manifest.onnx, bags, classes)));
  const first = await acquire(label, manifest, pkg.onnx);
  return {
    async logits(bags) {
      const rows = (await run(first, bags)) ?? (await run(await acquire(label, manifest, pkg.onnx), bags));
      if (rows === null) throw new Error(`model ${label}: its session was released while in use`);
      return rows;
    },
  };
}

/** True once this isolate holds a ready session for the graph (no loading is triggered). */
export function isOpen(manifest: ModelManifest): boolean {
  return ready.has(manifest.onnx.sha256);
}

const bundledWeights = new WeakMap<ArrayBuffer, readonly EmbeddingBagWeights[] | NoWeights>();

/**
 * The student's weights as float32 (int8/float16 dequantised exactly as the graph does), for
 * explanations. Bundled bytes are always at hand; a graph from R2 must have been opened first (the cascade
 * runs the model before it explains it). Throws NoWeights for a graph not written by our exporter.
 */
export function weightsOf(
  label: string,
  manifest: ModelManifest,
  pkg: ModelPackage,
): readonly EmbeddingBagWeights[] {
  if (typeof pkg.onnx !== "function") {
    let members = bundledWeights.get(pkg.onnx);
    if (!members) {
      members = ensembleWeights(pkg.onnx);
      bundledWeights.set(pkg.onnx, members);
    }
    return orThrow(members);
  }
  const entry = ready.get(manifest.onnx.sha256);
  if (!entry) throw new Error(`model ${label}: weights asked for before the model was loaded`);
  entry.weights ??= ensembleWeights(entry.bytes);
  return orThrow(entry.weights);
}
