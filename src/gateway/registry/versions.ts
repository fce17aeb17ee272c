import { ModelManifest } from "../../core/manifest.ts";
import { describeIssues } from "../errors.ts";
import {
  graphKey,
  legacyOnnxKey,
  MODELS_PREFIX,
  manifestKey,
  versionOfManifestKey,
  versionPrefix,
} from "./keys.ts";

/**
 * Uploaded versions in R2 (MODELS_BUCKET). A version exists when its manifest.json exists. The upload
 * writes the graph under its SHA-256 first (student-{sha256}.onnx) and the manifest last, only if none is
 * there: the manifest names its graph by hash, so racing uploads of one version cannot mix, and a
 * manifest never names a graph that is not there. Versions are immutable (a second upload of a version
 * is refused), which is what lets every isolate cache a version's manifest and session for good.
 */
/** What locates a version's graph: the manifest's name, version and graph hash. */
export type StoredManifest = Pick<ModelManifest, "name" | "version" | "onnx">;

export interface StoredVersion {
  version: string;
  bytes: number;
  sha256: string;
  uploaded_at: string;
}

/** Kept on the manifest object so listing versions needs no reads of the manifests. */
interface ManifestMetadata {
  onnx_bytes: string;
  onnx_sha256: string;
}

export class VersionStore {
  constructor(private readonly bucket: R2Bucket) {}

  /** Names with at least one object under models/{name}/. */
  async models(): Promise<string[]> {
    const names = new Set<string>();
    for await (const page of this.pages({ prefix: MODELS_PREFIX, delimiter: "/" }))
      for (const prefix of page.delimitedPrefixes) names.add(prefix.slice(MODELS_PREFIX.length, -1));
    return [...names];
  }

  async list(name: string): Promise<StoredVersion[]> {
    const versions: StoredVersion[] = [];
    for await (const page of this.pages({ prefix: versionPrefix(name), include: ["customMetadata"] }))
      for (const object of page.objects) {
        const version = versionOfManifestKey(name, object.key);
        if (version === null) continue;
        const meta = (object.customMetadata ?? {}) as Partial<ManifestMetadata>;
        versions.push({
          version,
          bytes: Number(meta.onnx_bytes ?? Number.NaN),
          sha256: meta.onnx_sha256 ?? "",
          uploaded_at: object.uploaded.toISOString(),
        });
      }
    return versions.sort((a, b) => a.uploaded_at.localeCompare(b.uploaded_at));
  }

  async exists(name: string, version: string): Promise<boolean> {
    return (await this.bucket.head(manifestKey(name, version))) !== null;
  }

  /** The stored manifest, validated; null when the version does not exist. Throws when it is invalid. */
  async manifest(name: string, version: string): Promise<ModelManifest | null> {
    const object = await this.bucket.get(manifestKey(name, version));
    if (object === null) return null;
    const parsed = ModelManifest.safeParse(JSON.parse(await object.text()));
    if (!parsed.success)
      throw new Error(`${name}@${version}: invalid manifest: ${describeIssues(parsed.error)}`);
    if (parsed.data.name !== name || parsed.data.version !== version)
      throw new Error(`${name}@${version}: the manifest names ${parsed.data.name}@${parsed.data.version}`);
    return parsed.data;
  }

  /** The graph the manifest names (by hash; before that, student.onnx), or null if it is missing. */
  async onnx(manifest: StoredManifest): Promise<ArrayBuffer | null> {
    const { name, version } = manifest;
    const object =
      (await this.bucket.get(graphKey(name, version, manifest.onnx.sha256))) ??
      (await this.bucket.get(legacyOnnxKey(name, version)));
    return object === null ? null : object.arrayBuffer();
  }

  /** The SHA-256 R2 verified when the manifest's graph was stored (hex), or null if it is missing. */
  async onnxChecksum(manifest: StoredManifest): Promise<string | null> {
    const object = await this.graphHead(manifest);
    if (object === null) return null;
    const sha = object.checksums.sha256;
    return sha ? toHex(sha) : "";
  }

  /** True when the manifest's graph is stored (a metadata read: the bytes are not fetched). */
  async hasGraph(manifest: StoredManifest): Promise<boolean> {
    return (await this.graphHead(manifest)) !== null;
  }

  private async graphHead({ name, version, onnx }: StoredManifest): Promise<R2Object | null> {
    return (
      (await this.bucket.head(graphKey(name, version, onnx.sha256))) ??
      (await this.bucket.head(legacyOnnxKey(name, version)))
    );
  }

  /**
   * Stores a validated version: the graph under its hash (R2 checks its SHA-256 on arrival), then the
   * manifest, only if no manifest is there yet. Returns false when another upload got the version first;
   * its graph is then deleted unless it is the winner's too.
   */
  async put(manifest: ModelManifest, manifestText: string, onnx: ArrayBuffer): Promise<boolean> {
    const { name, version } = manifest;
    const key = graphKey(name, version, manifest.onnx.sha256);
    await this.bucket.put(key, onnx, {
      sha256: manifest.onnx.sha256,
      httpMetadata: { contentType: "application/octet-stream" },
    });
    const metadata: ManifestMetadata = {
      onnx_bytes: String(manifest.onnx.bytes),
      onnx_sha256: manifest.onnx.sha256,
    };
    const stored = await this.bucket.put(manifestKey(name, version), manifestText, {
      onlyIf: new Headers({ "if-none-match": "*" }),
      httpMetadata: { contentType: "application/json" },
      customMetadata: { ...metadata },
    });
    if (stored !== null) return true;
    const winner = await this.manifest(name, version).catch(() => null);
    if (winner !== null && winner.onnx.sha256 !== manifest.onnx.sha256) await this.bucket.delete(key);
    return false;
  }

  private async *pages(options: R2ListOptions): AsyncGenerator<R2Objects> {
    let cursor: string | undefined;
    do {
      const page = await this.bucket.list({ ...options, ...(cursor ? { cursor } : {}) });
      yield page;
      cursor = page.truncated ? page.cursor : undefined;
    } while (cursor);
  }
}

function toHex(buffer: ArrayBuffer): string {
  return Array.from(new Uint8Array(buffer), (b) => b.toString(16).padStart(2, "0")).join("");
}
