import { describe, expect, it } from "vitest";
// 53 bytes: imports env.f () → i32 and exports answer() = f() + 1 (see test/fixtures/README.md).
import addOne from "../../../test/fixtures/add-one.wasm";
import { settledWithinReactions } from "../../../test/helpers/reactions.ts";
import { ModelManifest } from "../../core/manifest.ts";
import { sessionsCreated } from "../runtime/onnx-session.ts";
import { BUNDLED_MODELS } from "./bundled.ts";
import { isOpen } from "./sessions.ts";
import { warmUpBundled } from "./warm-up.ts";

/**
 * Why the warm-up the Worker entry starts at module scope finishes while the isolate starts, before its
 * first request: from onnxruntime-web's first use (this file's isolate has none before this test) to
 * every bundled student's session open and run once, it waits on no task of the event loop, only on
 * promise reactions, which workerd runs at module scope too. A task would wait for the first request and
 * then run ahead of its handler (BENCHMARKS.md "Cold first answer").
 */
describe("warmUpBundled from a fresh onnxruntime-web", () => {
  it("completes on promise reactions alone", async () => {
    expect(sessionsCreated()).toBe(0);
    await settledWithinReactions(warmUpBundled(BUNDLED_MODELS), 100_000);
    for (const [name, pkg] of Object.entries(BUNDLED_MODELS))
      expect(isOpen(ModelManifest.parse(pkg.manifest)), name).toBe(true);
  });

  it("rests on workerd instantiating a precompiled module without a task, which the check can tell from one", async () => {
    const instance = await settledWithinReactions(
      WebAssembly.instantiate(addOne, { env: { f: () => 41 } }),
      100,
    );
    expect((instance.exports.answer as () => number)()).toBe(42);
    const afterATask = new Promise((resolve) => setTimeout(resolve, 0));
    await expect(settledWithinReactions(afterATask, 100_000)).rejects.toThrow(/still pending/);
  });
});
