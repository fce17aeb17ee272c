import { env } from "cloudflare:workers";
import { afterAll, describe, expect, it } from "vitest";
import { sha256Hex } from "../../../core/digest.ts";
import { BUNDLED_MODELS } from "../../models/bundled.ts";
import { ModelCatalog } from "../../models/catalog.ts";
import { ModelSet } from "../../models/model-set.ts";
import { isOpen } from "../../models/sessions.ts";
import type { RegistryBindings } from "../../registry/bindings.ts";
import { canaryBucket, chooseVersion } from "../../registry/canary.ts";
import { manifestKey, pointerKey } from "../../registry/keys.ts";
import type { Pointer } from "../../registry/pointer.ts";

/**
 * Which version serves a request: the canary split by request id, the per-isolate pointer cache and its
 * TTL, and the fallbacks. KV is an in-memory stand-in here (so no other test file sees these pointers);
 * R2 is the real binding, under a model name nothing else uses.
 */
const bucket = (env as unknown as RegistryBindings).MODELS_BUCKET!;
const MODEL = "split-test";
const base = BUNDLED_MODELS["sms-spam"]!.manifest as Record<string, unknown>;

class MemoryKv {
  readonly values = new Map<string, string>();
  gets = 0;
  async get(key: string, type?: "json") {
    this.gets++;
    const value = this.values.get(key);
    return value === undefined ? null : type === "json" ? JSON.parse(value) : value;
  }
  async put(key: string, value: string) {
    this.values.set(key, value);
  }
  async list(options: { prefix?: string }) {
    const keys = [...this.values.keys()].filter((k) => k.startsWith(options.prefix ?? ""));
    return { keys: keys.map((name) => ({ name })), list_complete: true, cacheStatus: null };
  }
  setPointer(name: string, pointer: Omit<Pointer, "updated_at">) {
    this.values.set(pointerKey(name), JSON.stringify({ ...pointer, updated_at: new Date(0).toISOString() }));
  }
}

async function uploadManifest(name: string, version: string) {
  await bucket.put(manifestKey(name, version), JSON.stringify({ ...base, name, version }));
}

function setup(ttlMs = 1000) {
  const kv = new MemoryKv();
  let now = 0;
  const catalog = new ModelCatalog(BUNDLED_MODELS, () => now);
  const bindings = { REGISTRY: kv as unknown as KVNamespace, MODELS_BUCKET: bucket };
  const versionFor = async (name: string, requestId: string | null) =>
    (await catalog.registryFor(bindings, ttlMs, requestId)).manifest(name).version;
  return { kv, catalog, bindings, versionFor, advance: (ms: number) => (now += ms) };
}

afterAll(async () => {
  const listed = await bucket.list({ prefix: `models/${MODEL}/` });
  await Promise.all(listed.objects.map((o) => bucket.delete(o.key)));
});

describe("canary selection", () => {
  it("sends a stable share of request ids, close to the percentage, to the canary", async () => {
    await uploadManifest(MODEL, "1.0.0");
    await uploadManifest(MODEL, "2.0.0-canary");
    for (const percent of [5, 20, 50]) {
      const { kv, versionFor } = setup(); // a fresh isolate cache per percentage
      kv.setPointer(MODEL, { live: "1.0.0", previous: [], canary: { version: "2.0.0-canary", percent } });
      let canary = 0;
      const N = 2000;
      for (let i = 0; i < N; i++) {
        const id = `req-${i}-${percent}`;
        const version = await versionFor(MODEL, id);
        expect(version).toBe(canaryBucket(id) < percent ? "2.0.0-canary" : "1.0.0");
        if (version === "2.0.0-canary") canary++;
      }
      expect(Math.abs((100 * canary) / N - percent)).toBeLessThan(3);
    }
  });

  it("gives the same request id the same version every time, and a raised percentage keeps its canaries", () => {
    const pointer = (percent: number) => ({ live: "1", canary: { version: "2", percent } });
    for (let i = 0; i < 500; i++) {
      const id = crypto.randomUUID();
      const first = chooseVersion(pointer(10), id);
      expect(chooseVersion(pointer(10), id)).toBe(first);
      if (first === "2") expect(chooseVersion(pointer(30), id)).toBe("2");
    }
    expect(canaryBucket("abc")).toBe(canaryBucket("abc"));
    expect(chooseVersion({ live: "1", canary: null }, "anything")).toBe("1");
  });

  it("serves only the live version to requests without an id (reads)", async () => {
    const { kv, versionFor } = setup();
    kv.setPointer(MODEL, { live: "1.0.0", previous: [], canary: { version: "2.0.0-canary", percent: 99 } });
    for (let i = 0; i < 20; i++) expect(await versionFor(MODEL, null)).toBe("1.0.0");
  });
});

describe("the pointer cache", () => {
  it("reads KV at most once per TTL, and sees a change once the TTL has passed", async () => {
    const { kv, versionFor, advance } = setup(1000);
    expect(await versionFor("sms-spam", "r")).toBe("1.0.0"); // nothing stored: the bundled version
    const reads = kv.gets;
    await uploadManifest(MODEL, "1.0.0");
    kv.setPointer(MODEL, { live: "1.0.0", previous: [], canary: null });
    advance(999);
    await expect(versionFor(MODEL, "r")).rejects.toMatchObject({ status: 404 }); // still the old read
    expect(kv.gets).toBe(reads);
    advance(2);
    expect(await versionFor(MODEL, "r")).toBe("1.0.0");
  });

  it("falls back to the live version, then the bundled one, when R2 lacks the version named", async () => {
    const { kv, versionFor } = setup();
    kv.setPointer("sms-spam", {
      live: "1.0.0",
      previous: [],
      canary: { version: "9.9.9-missing", percent: 99 },
    });
    const id = Array.from({ length: 100 }, (_, i) => `f${i}`).find((i) => canaryBucket(i) < 99)!;
    expect(await versionFor("sms-spam", id)).toBe("1.0.0");
    const fresh = setup();
    fresh.kv.setPointer("clinc150", { live: "7.7.7-missing", previous: [], canary: null });
    expect(await fresh.versionFor("clinc150", "x")).toBe("1.0.0");
  });

  it("keeps serving what it read before when KV fails", async () => {
    const { kv, catalog, bindings, advance } = setup(10);
    await uploadManifest(MODEL, "1.0.0");
    kv.setPointer(MODEL, { live: "1.0.0", previous: [], canary: null });
    expect((await catalog.registryFor(bindings, 10, null)).has(MODEL)).toBe(true);
    kv.get = async () => {
      throw new Error("KV down");
    };
    kv.list = async () => {
      throw new Error("KV down");
    };
    advance(20);
    expect((await catalog.registryFor(bindings, 10, null)).manifest(MODEL).version).toBe("1.0.0");
  });
});

describe("the session cache", () => {
  /** The sms-spam graph with an unknown protobuf field appended: the same model, another SHA-256. */
  async function variant(i: number) {
    const onnx = BUNDLED_MODELS["sms-spam"]!.onnx as ArrayBuffer;
    const bytes = new Uint8Array(onnx.byteLength + 3);
    bytes.set(new Uint8Array(onnx));
    bytes.set([0xc0, 0x3e, i], onnx.byteLength); // field 1000, varint i
    const manifest = {
      ...base,
      version: `1.0.${i}`,
      onnx: { ...(base.onnx as object), bytes: bytes.length, sha256: await sha256Hex(bytes.buffer) },
    };
    return { manifest, onnx: bytes.buffer };
  }

  it("releases the least recently used session beyond the bound; a holder of it reopens it", async () => {
    const registries = await Promise.all(
      Array.from(
        // docs/architecture.md: at most six sessions open per isolate; a seventh releases the oldest.
        { length: 7 },
        async (_, i) => new ModelSet({ "sms-spam": await variant(i + 1) }),
      ),
    );
    const first = await registries[0]!.load("sms-spam");
    const [expected] = await first.logits([new Int32Array([1, 2, 3])]);
    for (const registry of registries.slice(1)) await registry.load("sms-spam");
    expect(isOpen(registries[0]!.manifest("sms-spam"))).toBe(false);
    expect(isOpen(registries.at(-1)!.manifest("sms-spam"))).toBe(true);
    // The request that loaded it before the eviction still gets its answer, from a reopened session.
    const [again] = await first.logits([new Int32Array([1, 2, 3])]);
    expect(Array.from(again!)).toEqual(Array.from(expected!));
    expect(isOpen(registries[0]!.manifest("sms-spam"))).toBe(true);
  });
});
