/**
 * A model package as the registry serves it: the manifest as parsed JSON (validated by ModelSet at
 * first use, so a bad package fails its own requests instead of the whole Worker's start) and the student
 * graph's bytes: bundled through wrangler's Data rule, or fetched from R2 on first use.
 */
export interface ModelPackage {
  manifest: unknown;
  onnx: ArrayBuffer | (() => Promise<ArrayBuffer>);
  /** For a graph fetched on first use: whether it is stored, without fetching it (readiness). */
  graphStored?: () => Promise<boolean>;
  /** Set when the registry names a version it cannot serve: every request for the model is a 500 saying why. */
  unavailable?: string;
}
