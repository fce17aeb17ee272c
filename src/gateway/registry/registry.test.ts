import { beforeEach, describe, expect, it, vi } from "vitest";
import { usePlatformProxy } from "../../../test/helpers/platform-proxy.ts";
import { ApiError } from "../errors.ts";
import { canaryBucket, chooseVersion, inShadow } from "./canary.ts";
import { DefinitionStore } from "./definitions.ts";
import {
  definitionKey,
  graphKey,
  legacyOnnxKey,
  manifestKey,
  pointerKey,
  versionOfManifestKey,
  versionPrefix,
} from "./keys.ts";
import { implicitPointer, type Pointer, promote, rollback, startShadow, stopShadow } from "./pointer.ts";
import { PointerCache } from "./pointer-cache.ts";
import { PointerStore } from "./pointers.ts";

/**
 * The registry's rules in Node, at their edges and with their exact refusals: pointer transitions (pure),
 * the canary and shadow split, the storage keys, and the KV stores and pointer cache over miniflare's
 * real KV (wrangler's getPlatformProxy). The admin routes over them are specified in workerd
 * (test/workerd/gateway-admin.test.ts); these let Stryker's Node runner judge the same code
 * (docs/mutation.md).
 */
const NOW = new Date("2026-06-01T12:00:00.000Z");
const AT = NOW.toISOString();

function refusal(run: () => unknown): { status: number; code: string; message: string } {
  try {
    run();
  } catch (error) {
    if (error instanceof ApiError) return { status: error.status, code: error.code, message: error.message };
    throw error;
  }
  throw new Error("expected a refusal");
}

describe("pointer transitions", () => {
  it("the bundled version is live until someone promotes; a model only in R2 has no pointer", () => {
    expect(implicitPointer("1.0.0")).toEqual({ live: "1.0.0", previous: [], canary: null });
    expect(implicitPointer(null)).toBeNull();
  });

  it("the first promotion makes the version live with no history", () => {
    expect(promote(null, "1.0.0", undefined, NOW)).toEqual({
      live: "1.0.0",
      previous: [],
      canary: null,
      updated_at: AT,
    });
  });

  it("keeps the 20 latest previous versions, oldest first", () => {
    let pointer: Pointer = promote(null, "0.0.0", undefined, NOW);
    for (let i = 1; i <= 25; i++) pointer = promote(pointer, `0.0.${i}`, undefined, NOW);
    expect(pointer.live).toBe("0.0.25");
    expect(pointer.previous).toHaveLength(20);
    expect(pointer.previous[0]).toBe("0.0.5");
    expect(pointer.previous.at(-1)).toBe("0.0.24");
  });

  it("promoting the live version again only ends the canary", () => {
    const live = promote(promote(null, "1.0.0", undefined, NOW), "1.1.0", undefined, NOW);
    const canaried = promote(live, "2.0.0", 10, NOW);
    expect(promote(canaried, "1.1.0", undefined, NOW)).toMatchObject({
      live: "1.1.0",
      previous: ["1.0.0"],
      canary: null,
    });
  });

  it("a canary needs a live version, and another version than it", () => {
    expect(refusal(() => promote(null, "1.0.0", 10, NOW))).toEqual({
      status: 400,
      code: "invalid_request",
      message: "the model has no live version yet: promote one without canary_percent first",
    });
    const live = promote(null, "1.0.0", undefined, NOW);
    expect(refusal(() => promote(live, "1.0.0", 10, NOW))).toEqual({
      status: 400,
      code: "invalid_request",
      message: 'version "1.0.0" is already live; a canary must be another version',
    });
    expect(promote(live, "2.0.0", 10, NOW).canary).toMatchObject({
      version: "2.0.0",
      percent: 10,
      started_at: AT,
    });
  });

  it("rolls back to the last previous version, dropping the canary; refuses with no history", () => {
    const two = promote(promote(null, "1.0.0", undefined, NOW), "2.0.0", undefined, NOW);
    const later = new Date("2026-06-02T00:00:00.000Z");
    expect(rollback(promote(two, "3.0.0", 5, NOW), later)).toEqual({
      live: "1.0.0",
      previous: [],
      canary: null,
      updated_at: later.toISOString(),
    });
    const message = "there is no previous version to roll back to";
    expect(refusal(() => rollback(null, NOW)).message).toBe(message);
    expect(refusal(() => rollback(promote(null, "1.0.0", undefined, NOW), NOW))).toEqual({
      status: 400,
      code: "invalid_request",
      message,
    });
  });

  it("promoting another version than the shadow's keeps the shadow, live or canary", () => {
    const live = promote(promote(null, "1.0.0", undefined, NOW), "1.1.0", undefined, NOW);
    const shadowed = startShadow(live, "3.0.0", 25, NOW);
    const shadow = { version: "3.0.0", percent: 25, started_at: AT };
    expect(promote(shadowed, "2.0.0", 10, NOW).shadow).toEqual(shadow);
    expect(promote(shadowed, "2.0.0", undefined, NOW)).toMatchObject({ live: "2.0.0", shadow });
    expect(promote(shadowed, "1.1.0", undefined, NOW).shadow).toEqual(shadow);
    expect(promote(shadowed, "3.0.0", undefined, NOW)).toMatchObject({ live: "3.0.0", shadow: null });
  });

  it("a shadow needs a live version and a version that does not serve; stopping needs one", () => {
    expect(refusal(() => startShadow(null, "2.0.0", 50, NOW)).message).toBe(
      "the model has no live version yet: a shadow is compared with the live student",
    );
    expect(refusal(() => startShadow(null, "2.0.0", 50, NOW))).toEqual({
      status: 400,
      code: "invalid_request",
      message: "the model has no live version yet: a shadow is compared with the live student",
    });
    const live = promote(null, "1.0.0", undefined, NOW);
    const canaried = promote(live, "2.0.0", 10, NOW);
    for (const serving of ["1.0.0", "2.0.0"])
      expect(refusal(() => startShadow(canaried, serving, 50, NOW))).toEqual({
        status: 400,
        code: "invalid_request",
        message: `version "${serving}" serves already; shadow another version`,
      });
    const shadowed = startShadow(canaried, "3.0.0", 50, NOW);
    expect(shadowed.shadow).toEqual({ version: "3.0.0", percent: 50, started_at: AT });
    expect(shadowed.updated_at).toBe(AT);
    const later = new Date("2026-06-03T00:00:00.000Z");
    expect(stopShadow(shadowed, later)).toMatchObject({ shadow: null, updated_at: later.toISOString() });
    for (const without of [null, live, { ...live, shadow: null }])
      expect(refusal(() => stopShadow(without, NOW))).toEqual({
        status: 400,
        code: "invalid_request",
        message: "the model has no shadow to stop",
      });
  });
});

describe("canary and shadow split", () => {
  const ids = Array.from({ length: 2000 }, (_, i) => `request-${i}`);

  it("a bucket is 0–99 and the same for the same id", () => {
    const buckets = ids.map(canaryBucket);
    expect(Math.min(...buckets)).toBe(0);
    expect(Math.max(...buckets)).toBe(99);
    expect(ids.map(canaryBucket)).toEqual(buckets);
  });

  it("a request gets the canary when its bucket is below the percentage, else the live version", () => {
    const pointer = { live: "1.0.0", canary: { version: "2.0.0", percent: 30 } };
    for (const id of ids)
      expect(chooseVersion(pointer, id), id).toBe(canaryBucket(id) < 30 ? "2.0.0" : "1.0.0");
    const edge = ids.find((id) => canaryBucket(id) === 30)!;
    const below = ids.find((id) => canaryBucket(id) === 29)!;
    expect(chooseVersion(pointer, edge)).toBe("1.0.0");
    expect(chooseVersion(pointer, below)).toBe("2.0.0");
    expect(chooseVersion({ live: "1.0.0", canary: null }, below)).toBe("1.0.0");
  });

  it("the shadow's share is its own: independent of the canary's buckets, and exact at its edges", () => {
    const inHalf = ids.filter((id) => inShadow({ percent: 50 }, id));
    expect(inHalf.length).toBeGreaterThan(900);
    expect(inHalf.length).toBeLessThan(1100);
    expect(ids.every((id) => inShadow({ percent: 100 }, id))).toBe(true);
    // Not the canary's hash: among requests in the canary's lowest half, the shadow still takes about half.
    const lowCanary = ids.filter((id) => canaryBucket(id) < 50);
    const both = lowCanary.filter((id) => inShadow({ percent: 50 }, id)).length;
    expect(both / lowCanary.length).toBeGreaterThan(0.4);
    expect(both / lowCanary.length).toBeLessThan(0.6);
    const none = ids.filter((id) => inShadow({ percent: 1 }, id)).length;
    expect(none).toBeGreaterThan(0);
    expect(none).toBeLessThan(60);
  });

  it("a shadow's percent is its share of requests: 1 takes one in a hundred, 99 all but one", () => {
    // The hash is fixed, so these counts are too: 10,000 ids put about 100 in each bucket.
    const many = Array.from({ length: 10_000 }, (_, i) => `shadow-${i}`);
    const share = (percent: number) => many.filter((id) => inShadow({ percent }, id)).length / many.length;
    expect(share(1)).toBeGreaterThan(0.005);
    expect(share(1)).toBeLessThan(0.015);
    expect(share(99)).toBeGreaterThan(0.985);
    expect(share(99)).toBeLessThan(0.995);
  });
});

describe("storage keys", () => {
  it("one folder per version under models/, a graph named by its hash, one pointer and definition per model", () => {
    expect(versionPrefix("clinc150")).toBe("models/clinc150/");
    expect(manifestKey("clinc150", "1.2.0")).toBe("models/clinc150/1.2.0/manifest.json");
    expect(graphKey("clinc150", "1.2.0", "ab12")).toBe("models/clinc150/1.2.0/student-ab12.onnx");
    expect(legacyOnnxKey("clinc150", "1.2.0")).toBe("models/clinc150/1.2.0/student.onnx");
    expect(pointerKey("clinc150")).toBe("pointer/clinc150");
    expect(definitionKey("clinc150")).toBe("definition/clinc150");
  });

  it("reads a version back from a manifest key of that model only", () => {
    expect(versionOfManifestKey("clinc150", "models/clinc150/1.2.0/manifest.json")).toBe("1.2.0");
    for (const key of [
      "models/other/1.2.0/manifest.json",
      "models/clinc150/1.2.0/student.onnx",
      "models/clinc150/not a version/manifest.json",
      "xmodels/clinc150/1.2.0/manifest.json",
      "models/clinc150/1.2.0/manifest.jsonx",
    ])
      expect(versionOfManifestKey("clinc150", key), key).toBeNull();
  });
});

describe("KV stores and the pointer cache (miniflare KV)", () => {
  const platform = usePlatformProxy();
  let kv: KVNamespace;
  beforeEach(() => {
    kv = platform.env.REGISTRY!;
  });

  const pointer = (live: string): Pointer => ({ live, previous: [], canary: null, updated_at: AT });

  it("stores a pointer under pointer/{name}; reads it back; null when there is none", async () => {
    const store = new PointerStore(kv);
    await store.put("store-a", pointer("1.0.0"));
    expect(await kv.get("pointer/store-a", "json")).toEqual(pointer("1.0.0"));
    expect(await store.get("store-a")).toEqual(pointer("1.0.0"));
    expect(await store.get("store-none")).toBeNull();
  });

  it("an invalid stored pointer is a 500 naming the model when read, and left out of all()", async () => {
    await kv.put("pointer/store-bad", JSON.stringify({ live: 1 }));
    const error = await new PointerStore(kv).get("store-bad").catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApiError);
    expect(error).toMatchObject({ status: 500, code: "internal" });
    expect((error as ApiError).message).toMatch(/^the stored pointer of "store-bad" is invalid: /);
    const log = vi.spyOn(console, "error").mockImplementation(() => {});
    try {
      const all = await new PointerStore(kv).all();
      expect(all.has("store-bad")).toBe(false);
      expect(all.get("store-a")).toEqual(pointer("1.0.0"));
      expect(String(log.mock.calls[0]?.[0])).toMatch(
        /^registry: ignoring the invalid pointer of "store-bad": /,
      );
    } finally {
      log.mockRestore();
      await kv.delete("pointer/store-bad");
    }
  });

  it("lists past one page of KV keys, every name once", async () => {
    const store = new PointerStore(kv);
    for (const name of ["page-a", "page-b", "page-c", "page-d", "page-e"])
      await store.put(name, pointer("1.0.0"));
    const names = await store.names();
    expect(names).toEqual(expect.arrayContaining(["page-a", "page-b", "page-c", "page-d", "page-e"]));
    // The same namespace read two keys a page: KV pages with a cursor past 1000 keys.
    const paged = {
      get: kv.get.bind(kv),
      list: (options: KVNamespaceListOptions) => kv.list({ ...options, limit: 2 }),
    };
    const pagedStore = new PointerStore(paged as unknown as KVNamespace);
    expect((await pagedStore.names()).sort()).toEqual([...names].sort());
    expect([...(await pagedStore.all()).keys()].sort()).toEqual([...names].sort());
  });

  it("a pointer deleted between the listing and its read is left out, not logged as invalid", async () => {
    await new PointerStore(kv).put("gone", pointer("1.0.0"));
    const racing = {
      get: kv.get.bind(kv),
      list: async (options: KVNamespaceListOptions) => {
        const page = await kv.list(options);
        await kv.delete("pointer/gone");
        return page;
      },
    };
    const log = vi.spyOn(console, "error").mockImplementation(() => {});
    try {
      const all = await new PointerStore(racing as unknown as KVNamespace).all();
      expect(all.has("gone")).toBe(false);
      expect(all.get("store-a")).toEqual(pointer("1.0.0"));
      expect(log).not.toHaveBeenCalled();
    } finally {
      log.mockRestore();
    }
  });

  it("an invalid stored definition is a 500 naming the model and the definition", async () => {
    await kv.put("definition/store-bad", JSON.stringify({ labels: ["a"] }));
    try {
      const error = await new DefinitionStore(kv).get("store-bad").catch((e: unknown) => e);
      expect(error).toMatchObject({ status: 500, code: "internal" });
      expect((error as ApiError).message).toMatch(/^the stored definition of "store-bad" is invalid: /);
    } finally {
      await kv.delete("definition/store-bad");
    }
  });

  it("the cache reads KV once per TTL, shares one refresh, and keeps the last snapshot when KV fails", async () => {
    let now = 1_000;
    const cache = new PointerCache(() => now);
    await new PointerStore(kv).put("cache-a", pointer("1.0.0"));
    const first = await Promise.all([cache.get(kv, 100), cache.get(kv, 100)]);
    expect(first[0]).toBe(first[1]);
    expect(first[0].pointers.get("cache-a")?.live).toBe("1.0.0");

    await new PointerStore(kv).put("cache-a", pointer("2.0.0"));
    now += 99;
    expect((await cache.get(kv, 100)).pointers.get("cache-a")?.live).toBe("1.0.0");
    now += 1;
    expect((await cache.get(kv, 100)).pointers.get("cache-a")?.live).toBe("2.0.0");

    // A namespace that fails: the snapshot read before it stays, and the next read waits a TTL.
    const down = () => Promise.reject(new Error("KV down"));
    const broken = { list: down, get: down } as unknown as KVNamespace;
    const log = vi.spyOn(console, "error").mockImplementation(() => {});
    try {
      const empty = await cache.get(broken, 100);
      expect(empty.pointers.size).toBe(0);
      expect(log).toHaveBeenCalledTimes(1);
      expect(String(log.mock.calls[0]?.[0])).toBe(
        "registry: reading the pointers failed; serving the last ones read",
      );
      await cache.get(broken, 100);
      expect(log).toHaveBeenCalledTimes(1);
      now += 100;
      await cache.get(broken, 100);
      expect(log).toHaveBeenCalledTimes(2);
    } finally {
      log.mockRestore();
    }
  });
});
