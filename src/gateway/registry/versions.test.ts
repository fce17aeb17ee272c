import { describe, expect, it } from "vitest";
import { usePlatformProxy } from "../../../test/helpers/platform-proxy.ts";
import { describe as describePackage, student } from "../../../test/workerd/registry-helpers.ts";
import type { ModelManifest } from "../../core/manifest.ts";
import { ModelManifest as ManifestSchema } from "../../core/manifest.ts";
import { exportOnnx } from "../../distill/onnx/export.ts";
import { VersionStore } from "./versions.ts";

/**
 * Uploaded versions over miniflare's real R2 (wrangler's getPlatformProxy): where a version's files go,
 * what a listing and a manifest read return, and the race of two uploads of one version. The admin
 * routes over this store are specified in workerd (test/workerd/registry-uploads.test.ts).
 */
const platform = usePlatformProxy();
const bucket = (): R2Bucket => platform.env.MODELS_BUCKET!;

const SHAPE = { buckets: 64, dim: 4 };
async function version(name: string, v: string, seed = 1) {
  const bytes = exportOnnx(student(seed, SHAPE), { embeddingDtype: "float32" });
  const { manifest } = await describePackage(name, v, bytes, SHAPE);
  const parsed: ModelManifest = ManifestSchema.parse(manifest);
  const onnx = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
  return { manifest: parsed, text: JSON.stringify(manifest), onnx };
}
const hex = (buffer: ArrayBuffer) => Buffer.from(buffer).toString("hex");

/**
 * A version laid out as VersionStore.put lays it out. put itself is left to the workerd tests: its
 * if-none-match condition is a Headers object, which the Node proxy of getPlatformProxy cannot carry.
 */
async function seed(v: Awaited<ReturnType<typeof version>>) {
  const { name, version: ver, onnx } = v.manifest;
  await bucket().put(`models/${name}/${ver}/student-${onnx.sha256}.onnx`, v.onnx, { sha256: onnx.sha256 });
  await bucket().put(`models/${name}/${ver}/manifest.json`, v.text, {
    customMetadata: { onnx_bytes: String(onnx.bytes), onnx_sha256: onnx.sha256 },
  });
}

describe("VersionStore", () => {
  it("reads a stored version: it exists, its manifest, its graph by hash, R2's checksum of it", async () => {
    const store = new VersionStore(bucket());
    const v = await version("store-a", "1.0.0");
    expect(await store.exists("store-a", "1.0.0")).toBe(false);
    await seed(v);
    expect(await store.exists("store-a", "1.0.0")).toBe(true);
    expect(await store.manifest("store-a", "1.0.0")).toEqual(v.manifest);
    expect(await store.manifest("store-a", "9.9.9")).toBeNull();
    expect(hex((await store.onnx(v.manifest))!)).toBe(hex(v.onnx));
    expect(await store.hasGraph(v.manifest)).toBe(true);
    expect(await store.onnxChecksum(v.manifest)).toBe(v.manifest.onnx.sha256);
  });

  it("lists a model's versions oldest first from the manifests' metadata; lists the models", async () => {
    const store = new VersionStore(bucket());
    const first = await version("store-b", "1.0.0", 1);
    const second = await version("store-b", "1.1.0", 2);
    await seed(second);
    await new Promise((resolve) => setTimeout(resolve, 5));
    await seed(first);
    const listed = await store.list("store-b");
    expect(listed.map((v) => [v.version, v.bytes, v.sha256])).toEqual([
      ["1.1.0", second.manifest.onnx.bytes, second.manifest.onnx.sha256],
      ["1.0.0", first.manifest.onnx.bytes, first.manifest.onnx.sha256],
    ]);
    expect(listed[0]!.uploaded_at < listed[1]!.uploaded_at).toBe(true);
    expect(listed[0]!.uploaded_at).toMatch(/^\d{4}-\d\d-\d\dT/);
    // Without the metadata (a manifest written by hand), the size is NaN and the hash empty.
    await bucket().put("models/store-b/2.0.0/manifest.json", second.text);
    expect((await store.list("store-b")).find((v) => v.version === "2.0.0")).toMatchObject({
      bytes: Number.NaN,
      sha256: "",
    });
    const models = await store.models();
    expect(models).toEqual(expect.arrayContaining(["store-a", "store-b"]));
    expect(models.every((m) => !m.includes("/"))).toBe(true);
  });

  it("lists versions and models across pages of R2's listing", async () => {
    const first = await version("store-p", "1.0.0", 1);
    const second = await version("store-p", "1.1.0", 2);
    await seed(first);
    await new Promise((resolve) => setTimeout(resolve, 5));
    await seed(second);
    // The same bucket read one object a page: R2 pages with a cursor past 1000 objects.
    const real = bucket();
    const paged = {
      list: (options: R2ListOptions) => real.list({ ...options, limit: 1 }),
    } as unknown as R2Bucket;
    expect((await new VersionStore(paged).list("store-p")).map((v) => v.version)).toEqual(["1.0.0", "1.1.0"]);
    expect((await new VersionStore(paged).models()).sort()).toEqual(
      (await new VersionStore(real).models()).sort(),
    );
    expect(await new VersionStore(paged).models()).toContain("store-p");
  });

  it("gives R2's checksum in full hex, a byte below 0x10 with its leading zero", async () => {
    const store = new VersionStore(bucket());
    // The first seed whose graph's SHA-256 has a byte below 0x10 (most do).
    let withZero: Awaited<ReturnType<typeof version>> | undefined;
    for (let seed = 1; seed <= 16 && !withZero; seed++) {
      const v = await version("store-h", `1.0.${seed}`, seed);
      if (/^(?:..)*0/.test(v.manifest.onnx.sha256)) withZero = v;
    }
    expect(withZero).toBeDefined();
    await seed(withZero!);
    expect(await store.onnxChecksum(withZero!.manifest)).toBe(withZero!.manifest.onnx.sha256);
  });

  it("reads a legacy student.onnx; a missing graph is null", async () => {
    const store = new VersionStore(bucket());
    const v = await version("store-d", "1.0.0");
    await bucket().put("models/store-d/1.0.0/student.onnx", v.onnx);
    expect(hex((await store.onnx(v.manifest))!)).toBe(hex(v.onnx));
    expect(await store.hasGraph(v.manifest)).toBe(true);
    expect(await store.onnxChecksum(v.manifest)).toBe("");
    const missing = await version("store-e", "1.0.0");
    expect(await store.onnx(missing.manifest)).toBeNull();
    expect(await store.hasGraph(missing.manifest)).toBe(false);
    expect(await store.onnxChecksum(missing.manifest)).toBeNull();
  });

  it("refuses a stored manifest that is invalid or names another version", async () => {
    const store = new VersionStore(bucket());
    await bucket().put("models/store-f/1.0.0/manifest.json", JSON.stringify({ name: "store-f" }));
    await expect(store.manifest("store-f", "1.0.0")).rejects.toThrow(/^store-f@1\.0\.0: invalid manifest: /);
    const other = await version("store-f", "2.0.0");
    await bucket().put("models/store-f/1.1.0/manifest.json", other.text);
    await expect(store.manifest("store-f", "1.1.0")).rejects.toThrow(
      "store-f@1.1.0: the manifest names store-f@2.0.0",
    );
    const otherModel = await version("store-g", "1.0.0");
    await bucket().put("models/store-f/1.0.1/manifest.json", otherModel.text.replace('"1.0.0"', '"1.0.1"'));
    await expect(store.manifest("store-f", "1.0.1")).rejects.toThrow(
      "store-f@1.0.1: the manifest names store-g@1.0.1",
    );
  });
});
