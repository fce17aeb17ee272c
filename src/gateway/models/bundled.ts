import clinc150Manifest from "../../../models/clinc150/manifest.json";
import clinc150Onnx from "../../../models/clinc150/student.onnx";
import smsSpamManifest from "../../../models/sms-spam/manifest.json";
import smsSpamOnnx from "../../../models/sms-spam/student.onnx";

/**
 * A model package as bundled into the Worker: the manifest as parsed JSON (validated by the registry
 * at first use, not here, so a bad package fails its own requests instead of the whole Worker's start)
 * and the student graph's bytes through wrangler's Data rule.
 */
export interface ModelPackage {
  manifest: unknown;
  onnx: ArrayBuffer;
}

/** The packages shipped in models/, by the name clients ask for. */
export const BUNDLED_MODELS: Readonly<Record<string, ModelPackage>> = {
  clinc150: { manifest: clinc150Manifest, onnx: clinc150Onnx },
  "sms-spam": { manifest: smsSpamManifest, onnx: smsSpamOnnx },
};
