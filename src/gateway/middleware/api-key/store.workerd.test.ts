import { describe, expect, it } from "vitest";
import { bindings } from "../../../../test/workerd/access-helpers.ts";
import {
  KEY_CACHE_TTL_MS,
  KeyCache,
  type KeyRecord,
  KeyStore,
  keyHash,
  MAX_CACHE_ENTRIES,
  newKey,
} from "./store.ts";

/**
 * The key store over miniflare's real KV and its per-isolate cache, with the cache's clock in the test's
 * hands: how long another isolate may keep honouring a revoked key, and what the cache holds.
 */
const kv = bindings.API_KEYS!;

function clock() {
  let now = 1_000_000;
  return { now: () => now, advance: (ms: number) => (now += ms) };
}
const record = (id: string): KeyRecord => ({
  id,
  name: "cached",
  created_at: "2026-01-01T00:00:00.000Z",
  revoked_at: null,
});

describe("KeyCache", () => {
  it("keeps an answer, a miss included, for its TTL (a few seconds at most) and no longer", () => {
    expect(KEY_CACHE_TTL_MS).toBeLessThanOrEqual(5_000);
    const time = clock();
    const cache = new KeyCache(KEY_CACHE_TTL_MS, time.now);
    cache.set("a", record("00000000000000aa"));
    cache.set("b", null);
    time.advance(KEY_CACHE_TTL_MS - 1);
    expect(cache.get("a")?.id).toBe("00000000000000aa");
    expect(cache.get("b")).toBeNull();
    expect(cache.get("c")).toBeUndefined();
    time.advance(1);
    expect(cache.get("a")).toBeUndefined();
    expect(cache.get("b")).toBeUndefined();
  });

  it("drops the oldest entry beyond its bound", () => {
    const cache = new KeyCache();
    for (let i = 0; i <= MAX_CACHE_ENTRIES; i++) cache.set(`h${i}`, null);
    expect(cache.get("h0")).toBeUndefined();
    expect(cache.get("h1")).toBeNull();
    expect(cache.get(`h${MAX_CACHE_ENTRIES}`)).toBeNull();
  });
});

describe("KeyStore", () => {
  it("another isolate honours a revoked key until its cache entry expires, then refuses it", async () => {
    const here = new KeyStore(kv, new KeyCache());
    const time = clock();
    const there = new KeyStore(kv, new KeyCache(KEY_CACHE_TTL_MS, time.now));
    const { key, ...made } = await here.create("two isolates", new Date());
    expect((await there.lookup(key))?.revoked_at).toBeNull();
    await here.revoke(made.id, new Date());
    expect((await here.lookup(key))?.revoked_at).not.toBeNull();
    expect((await there.lookup(key))?.revoked_at).toBeNull(); // stale, within the TTL
    time.advance(KEY_CACHE_TTL_MS);
    expect((await there.lookup(key))?.revoked_at).not.toBeNull();
  });

  it("finds a key made in another isolate at once: a key is unknown to everyone before it is made", async () => {
    const there = new KeyStore(kv, new KeyCache());
    const here = new KeyStore(kv, new KeyCache());
    expect(await there.lookup(newKey())).toBeNull(); // a cached miss for some other random key
    const { key } = await here.create("made elsewhere", new Date());
    expect((await there.lookup(key))?.name).toBe("made elsewhere");
  });

  it("refuses a key whose stored record is not a valid record", async () => {
    const key = newKey();
    await kv.put(`hash/${await keyHash(key)}`, JSON.stringify({ id: "nope", name: 1 }));
    expect(await new KeyStore(kv, new KeyCache()).lookup(key)).toBeNull();
  });

  it("returns null when revoking an id it never made", async () => {
    expect(await new KeyStore(kv, new KeyCache()).revoke("fedcba9876543210", new Date())).toBeNull();
  });
});
