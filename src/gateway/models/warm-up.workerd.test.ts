import { describe, expect, it, vi } from "vitest";
import { ModelManifest } from "../../core/manifest.ts";
import { sessionsCreated } from "../runtime/onnx-session.ts";
import { BUNDLED_MODELS } from "./bundled.ts";
import { isOpen, openModel } from "./sessions.ts";
import { warmUpBundled } from "./warm-up.ts";

describe("warmUpBundled", () => {
  it("leaves every bundled student's session open, so the first request creates none", async () => {
    await warmUpBundled(BUNDLED_MODELS);
    const created = sessionsCreated();
    for (const [name, pkg] of Object.entries(BUNDLED_MODELS)) {
      const manifest = ModelManifest.parse(pkg.manifest);
      expect(isOpen(manifest), name).toBe(true);
      const model = await openModel(name, manifest, pkg);
      expect((await model.logits([new Int32Array([1, 2])]))[0]).toHaveLength(manifest.labels.length);
    }
    expect(sessionsCreated()).toBe(created);
  });

  it("logs a package it cannot open and resolves, leaving the request to fail on its own", async () => {
    const warn = vi.spyOn(console, "warn").mockImplementation(() => {});
    const broken = { manifest: { name: "broken" }, onnx: new ArrayBuffer(8) };
    await expect(warmUpBundled({ broken })).resolves.toBeUndefined();
    expect(warn).toHaveBeenCalledWith(expect.stringContaining("broken"), expect.anything());
    warn.mockRestore();
  });
});
