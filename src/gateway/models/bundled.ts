import clinc150Manifest from "../../../models/clinc150/manifest.json";
import clinc150Onnx from "../../../models/clinc150/student.onnx";
import smsSpamManifest from "../../../models/sms-spam/manifest.json";
import smsSpamOnnx from "../../../models/sms-spam/student.onnx";
import type { ModelPackage } from "./package.ts";

export type { ModelPackage };

/**
 * The packages shipped in models/: the manifest as JSON, the graph's bytes through wrangler's Data
 * rule. Each is always a version of its model, whatever the registry holds.
 */
export const BUNDLED_MODELS: Readonly<Record<string, ModelPackage>> = {
  clinc150: { manifest: clinc150Manifest, onnx: clinc150Onnx },
  "sms-spam": { manifest: smsSpamManifest, onnx: smsSpamOnnx },
};
