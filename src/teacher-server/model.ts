import * as ort from "onnxruntime-node";
import { padBags, splitRows } from "../core/batch.ts";
import { featurize } from "../core/featurizer.ts";
import type { TeacherManifest } from "../core/manifest.ts";
import { argmax, logSoftmax, softmax } from "../core/softmax.ts";
import type { TeacherPackage } from "../distill/package/teacher.ts";

/** One text's answer. Probabilities are float64: the softmax is taken in double over the FP32 output. */
export interface Prediction {
  index: number;
  label: string;
  probs: Float64Array;
  /** log p per label, from a log-softmax (exact even where p underflows; may be -Infinity). */
  logprobs: Float64Array;
}

/**
 * A served teacher: its manifest and one onnxruntime-node session. The graph's output is logits for
 * a single model and log of the mean probabilities for an ensemble; softmax gives the probabilities
 * in both cases, so the server never needs to know which it is.
 */
export class TeacherModel {
  private released = false;

  private constructor(
    readonly manifest: TeacherManifest,
    private readonly session: ort.InferenceSession,
  ) {}

  static async create(pkg: TeacherPackage): Promise<TeacherModel> {
    // One intra-op thread: the graphs are tiny and several sessions share the machine with the gateway.
    const session = await ort.InferenceSession.create(pkg.onnx, { intraOpNumThreads: 1 });
    const { inputs, output } = pkg.manifest.onnx;
    const missing = [inputs.ids, inputs.weights].filter((name) => !session.inputNames.includes(name));
    if (missing.length > 0 || !session.outputNames.includes(output)) {
      await session.release();
      throw new Error(
        `${pkg.dir}: graph inputs [${session.inputNames.join(", ")}] / outputs [${session.outputNames.join(", ")}]` +
          ` do not match the manifest (${inputs.ids}, ${inputs.weights} → ${output})`,
      );
    }
    return new TeacherModel(pkg.manifest, session);
  }

  get name(): string {
    return this.manifest.name;
  }

  get version(): string {
    return this.manifest.version;
  }

  get labels(): readonly string[] {
    return this.manifest.labels;
  }

  /** Featurises with the teacher's own featuriser config, pads like the Worker does, runs one batch. */
  async predict(texts: readonly string[]): Promise<Prediction[]> {
    if (this.released) throw new Error(`model ${this.name} has been released`);
    if (texts.length === 0) return [];
    const { featurizer, onnx } = this.manifest;
    const batch = padBags(texts.map((text) => featurize(text, featurizer)));
    const feeds = {
      [onnx.inputs.ids]: new ort.Tensor("int32", batch.ids, [batch.rows, batch.length]),
      [onnx.inputs.weights]: new ort.Tensor("float32", batch.weights, [batch.rows, batch.length]),
    };
    const result = await this.session.run(feeds);
    const tensor = result[onnx.output];
    const classes = this.labels.length;
    if (!tensor || !(tensor.data instanceof Float32Array)) {
      throw new Error(`model ${this.name}: output ${onnx.output} is not a float32 tensor`);
    }
    return splitRows(tensor.data, batch.rows, classes).map((row) => {
      const probs = new Float64Array(classes);
      const logprobs = new Float64Array(classes);
      softmax(row, probs);
      logSoftmax(row, logprobs);
      const index = argmax(probs);
      return { index, label: this.labels[index]!, probs, logprobs };
    });
  }

  async release(): Promise<void> {
    if (this.released) return;
    this.released = true;
    await this.session.release();
  }
}

/** Creates every session up front, so the server is ready (or fails) before it listens. */
export async function createModels(packages: readonly TeacherPackage[]): Promise<Map<string, TeacherModel>> {
  const models = new Map<string, TeacherModel>();
  try {
    for (const pkg of packages) models.set(pkg.manifest.name, await TeacherModel.create(pkg));
  } catch (error) {
    await Promise.all([...models.values()].map((m) => m.release()));
    throw error;
  }
  return models;
}
