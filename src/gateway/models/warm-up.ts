import { featurize } from "../../core/featurizer.ts";
import { ModelManifest } from "../../core/manifest.ts";
import type { ModelPackage } from "./package.ts";
import { openModel } from "./sessions.ts";

/**
 * Starts onnxruntime-web and the bundled students while the isolate starts, so a fresh isolate's first
 * answer does not pay for them. Most of a cold first answer is the runtime's start (instantiating the
 * 14 MB WASM module and the C++ static initialisers that register its kernels), then the session and its
 * first run (BENCHMARKS.md "Cold first answer"). The Worker entry calls this at module scope without
 * awaiting it: workerd refuses a top-level await that waits on a task, but lets a started promise run
 * on while it starts the isolate. The sessions land in the per-isolate cache (sessions.ts), keyed by
 * the graph's SHA-256, which the first request then finds; a failure here is logged, and that request
 * opens the model itself and answers (or fails) as it would have.
 */
export async function warmUpBundled(models: Readonly<Record<string, ModelPackage>>): Promise<void> {
  await Promise.all(Object.entries(models).map(([name, pkg]) => warmUp(name, pkg)));
}

async function warmUp(name: string, pkg: ModelPackage): Promise<void> {
  try {
    const manifest = ModelManifest.parse(pkg.manifest);
    const model = await openModel(name, manifest, pkg);
    // One run too: the kernels' WASM functions are compiled on their first call.
    await model.logits([featurize("warm up", manifest.featurizer)]);
  } catch (error) {
    console.warn(`warm-up of bundled model ${name} failed; its first request opens it:`, error);
  }
}
