/**
 * The registry's bindings (wrangler.toml). Both are optional: without them the gateway serves the models
 * bundled from models/ and the admin model routes answer 503 not_configured.
 */
export interface RegistryBindings {
  /** R2: uploaded versions, models/{name}/{version}/manifest.json and student-{sha256}.onnx. */
  MODELS_BUCKET?: R2Bucket;
  /** KV: one pointer per model, pointer/{name} → {live, previous, canary, updated_at}. */
  REGISTRY?: KVNamespace;
}
