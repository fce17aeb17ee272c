/**
 * The bench-only Worker of `npm run bench:http`'s cold-start breakdown (bench/http/wrangler.toml): each
 * sample runs in a fresh workerd, so its one request meets a fresh isolate, and answers after doing the
 * gateway's start-up work up to one stage (timed from outside, since workerd's clock stands still
 * while the isolate computes):
 *   GET /?upto=none      nothing (the isolate and the request themselves)
 *   GET /?upto=init      onnxruntime-web's runtime initialised, no session: the WASM instance, its C++
 *                        initialisers and OrtInit (which registers every ONNX operator schema in a full build)
 *   GET /?upto=runtime   onnxruntime-web started: the WASM instance and its initialisation (a one-node graph)
 *   GET /?upto=session   and the CLINC150 student's InferenceSession created
 *   GET /?upto=answer    and its first run on one text (what the gateway's first answer needs)
 * `opt` sets graphOptimizationLevel (disabled, basic, extended, all) for both graphs.
 */
import { featurize } from "../../src/core/featurizer.ts";
import { ModelManifest } from "../../src/core/manifest.ts";
import { BUNDLED_MODELS } from "../../src/gateway/models/bundled.ts";
import { createSession, runLogits } from "../../src/gateway/runtime/onnx-session.ts";
import tinyGraph from "../../test/fixtures/tiny-ensemble.onnx";

const NOT_A_MODEL = new Uint8Array([0xff, 0xff, 0xff, 0xff]);
const STAGES = ["none", "init", "runtime", "session", "answer"] as const;
type Stage = (typeof STAGES)[number];
const LEVELS = ["disabled", "basic", "extended", "all"] as const;
type Level = (typeof LEVELS)[number];

const oneOf = <T extends string>(values: readonly T[], value: string | null, fallback: T): T =>
  values.find((v) => v === value) ?? fallback;

async function upTo(stage: Stage, level: Level): Promise<void> {
  if (stage === "none") return;
  const options = { graphOptimizationLevel: level };
  if (stage === "init") {
    // onnxruntime-web initialises its runtime before it reads the model, so bytes that are no model
    // stop right after the runtime's start, before any session work.
    const failed = await createSession(NOT_A_MODEL, options).then(
      () => false,
      () => true,
    );
    if (!failed) throw new Error("a session was created from bytes that are not a model");
    return;
  }
  if (stage === "runtime") {
    await createSession(tinyGraph, options);
    return;
  }
  const pkg = BUNDLED_MODELS.clinc150;
  if (!pkg) throw new Error("no bundled clinc150");
  const manifest = ModelManifest.parse(pkg.manifest);
  const bytes = typeof pkg.onnx === "function" ? await pkg.onnx() : pkg.onnx;
  const session = await createSession(bytes, options);
  if (stage !== "answer") return;
  const bag = featurize("what is my account balance", manifest.featurizer);
  await runLogits(session, manifest.onnx, [bag], manifest.labels.length);
}

export default {
  async fetch(request: Request): Promise<Response> {
    const url = new URL(request.url);
    const stage = oneOf(STAGES, url.searchParams.get("upto"), "none");
    await upTo(stage, oneOf(LEVELS, url.searchParams.get("opt"), "all"));
    return new Response(stage);
  },
} satisfies ExportedHandler;
