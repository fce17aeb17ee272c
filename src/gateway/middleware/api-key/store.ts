import { z } from "zod";
import { sha256Hex } from "../../../core/digest.ts";

/**
 * The client API keys: their format, their records, and their store in KV (API_KEYS) with a per-isolate
 * cache. The middleware (index.ts) looks keys up here; the admin key routes make, list and revoke them.
 */

/**
 * A client API key: "apk_" and 32 random bytes in base64url (43 characters). Shown once when made; the
 * gateway keeps only its SHA-256, so a leaked KV namespace gives away no working key. A plain hash (no
 * salt, no slow KDF) is enough: the keys are 256-bit random, not guessable passwords.
 */
const KEY_PREFIX = "apk_";
const KEY_PATTERN = /^apk_[A-Za-z0-9_-]{43}$/;

function base64url(bytes: Uint8Array): string {
  return btoa(String.fromCharCode(...bytes))
    .replaceAll("+", "-")
    .replaceAll("/", "_")
    .replace(/=+$/, "");
}

export function newKey(): string {
  return `${KEY_PREFIX}${base64url(crypto.getRandomValues(new Uint8Array(32)))}`;
}

/** Whether a presented string could be a key at all; anything else is refused without a KV read. */
export const isWellFormedKey = (value: string): boolean => KEY_PATTERN.test(value);

/** The key's SHA-256 in hex: what KV stores and looks up. */
export const keyHash = (key: string): Promise<string> => sha256Hex(key);

/** A key's public id: 16 random hex digits, unrelated to the key itself. */
export function newKeyId(): string {
  return Array.from(crypto.getRandomValues(new Uint8Array(8)), (b) => b.toString(16).padStart(2, "0")).join(
    "",
  );
}
export const KEY_ID_PATTERN = /^[0-9a-f]{16}$/;

/** What the gateway knows of a key: never the key, and the admin API never shows its hash either. */
export const KeyName = z
  .string()
  .trim()
  .min(1)
  .max(100)
  .regex(/^[^\p{Cc}]*$/u, "must not contain control characters")
  // The pattern as JSON Schema states it: zod-to-openapi would append the regex's flags ("/u").
  .meta({ description: "Who or what the key is for", pattern: "^[^\\p{Cc}]*$" });

export const KeyRecord = z.strictObject({
  id: z.string().regex(KEY_ID_PATTERN).meta({ description: "The key's public id (16 hex digits)" }),
  name: KeyName,
  created_at: z.iso.datetime(),
  revoked_at: z.iso.datetime().nullable().meta({ description: "null while the key works" }),
});
export type KeyRecord = z.infer<typeof KeyRecord>;

/** Set on the context once a request's key is accepted: the rate limit and the logs key on its id. */
export type ApiKeyVariables = { apiKey?: Pick<KeyRecord, "id" | "name"> };

/**
 * Per-isolate memory of key lookups (hits and misses), so a busy client costs one KV read per TTL
 * rather than one per request. Short on purpose: a key revoked through another isolate keeps working
 * here for at most this long (plus KV's own propagation); one revoked through this isolate is evicted
 * at once. Bounded: the oldest entries go first, so a flood of random keys cannot grow it.
 */
export const KEY_CACHE_TTL_MS = 5_000;
export const MAX_CACHE_ENTRIES = 10_000;

interface Entry {
  record: KeyRecord | null;
  expires: number;
}

export class KeyCache {
  readonly #entries = new Map<string, Entry>();

  constructor(
    readonly ttlMs = KEY_CACHE_TTL_MS,
    private readonly now: () => number = Date.now,
  ) {}

  /** The cached lookup for a hash: a record, null (known unknown), or undefined (ask KV). */
  get(hash: string): KeyRecord | null | undefined {
    const entry = this.#entries.get(hash);
    if (entry === undefined) return undefined;
    if (entry.expires > this.now()) return entry.record;
    this.#entries.delete(hash);
    return undefined;
  }

  set(hash: string, record: KeyRecord | null): void {
    this.#entries.delete(hash);
    this.#entries.set(hash, { record, expires: this.now() + this.ttlMs });
    if (this.#entries.size > MAX_CACHE_ENTRIES) this.#entries.delete(this.#entries.keys().next().value!);
  }

  delete(hash: string): void {
    this.#entries.delete(hash);
  }
}

/**
 * The keys in KV (API_KEYS), two entries per key:
 * - `hash/{sha256 of the key}` → KeyRecord: what a request's key is looked up by (one read);
 * - `id/{id}` → {hash}, with the KeyRecord as KV metadata: what the admin routes list and revoke by.
 * Writes are ordered so a half-done change fails safe: a new key is listed before it works, and a
 * revoked key stops working before the listing says so. Records are never deleted (an audit trail).
 */
const hashKey = (hash: string) => `hash/${hash}`;
const ID_PREFIX = "id/";
const idKey = (id: string) => `${ID_PREFIX}${id}`;
const IdEntry = z.strictObject({ hash: z.string().regex(/^[0-9a-f]{64}$/) });

/** A new key as the admin API returns it: its record, and the key itself, shown this once, stored nowhere. */
export const CreatedKey = KeyRecord.extend({
  key: z.string().meta({ description: "The API key: shown this once, stored only as its SHA-256" }),
});
export type CreatedKey = z.infer<typeof CreatedKey>;

export class KeyStore {
  constructor(
    private readonly kv: KVNamespace,
    private readonly cache: KeyCache,
  ) {}

  async create(name: string, at: Date): Promise<CreatedKey> {
    const key = newKey();
    const hash = await keyHash(key);
    const record: KeyRecord = { id: newKeyId(), name, created_at: at.toISOString(), revoked_at: null };
    await this.kv.put(idKey(record.id), JSON.stringify({ hash }), { metadata: record });
    await this.kv.put(hashKey(hash), JSON.stringify(record));
    this.cache.set(hash, record);
    return { ...record, key };
  }

  /** Every key ever made, revoked ones included, oldest first. */
  async list(): Promise<KeyRecord[]> {
    const records: KeyRecord[] = [];
    let cursor: string | undefined;
    do {
      const page = await this.kv.list<unknown>({ prefix: ID_PREFIX, ...(cursor ? { cursor } : {}) });
      for (const { name, metadata } of page.keys) {
        const record = KeyRecord.safeParse(metadata);
        if (record.success) records.push(record.data);
        else console.error(`API_KEYS: ${name} has invalid metadata; not listed`);
      }
      cursor = page.list_complete ? undefined : page.cursor;
    } while (cursor);
    return records.sort((a, b) => a.created_at.localeCompare(b.created_at) || a.id.localeCompare(b.id));
  }

  /** Revokes a key by id (again: keeps the first revocation time); null when there is no such key. */
  async revoke(id: string, at: Date): Promise<KeyRecord | null> {
    const { value, metadata } = await this.kv.getWithMetadata<unknown>(idKey(id), "json");
    if (value === null) return null;
    const { hash } = IdEntry.parse(value);
    const record = KeyRecord.parse(metadata);
    if (record.revoked_at !== null) return record;
    const revoked: KeyRecord = { ...record, revoked_at: at.toISOString() };
    await this.kv.put(hashKey(hash), JSON.stringify(revoked));
    await this.kv.put(idKey(id), JSON.stringify({ hash }), { metadata: revoked });
    this.cache.set(hash, revoked);
    return revoked;
  }

  /** The record of a presented key, or null for a key never made (revoked ones are returned as such). */
  async lookup(key: string): Promise<KeyRecord | null> {
    const hash = await keyHash(key);
    const cached = this.cache.get(hash);
    if (cached !== undefined) return cached;
    const value = await this.kv.get<unknown>(hashKey(hash), "json");
    const parsed = value === null ? null : KeyRecord.safeParse(value);
    if (parsed && !parsed.success) console.error(`API_KEYS: ${hashKey(hash)} is not a key record; refused`);
    const record = parsed?.success ? parsed.data : null;
    this.cache.set(hash, record);
    return record;
  }
}

// One store (and so one cache) per namespace binding per isolate: the admin routes and the middleware
// share it, which is how a revocation takes effect in this isolate at once.
const stores = new WeakMap<KVNamespace, KeyStore>();

export function keyStoreFor(kv: KVNamespace): KeyStore {
  let store = stores.get(kv);
  if (!store) {
    store = new KeyStore(kv, new KeyCache());
    stores.set(kv, store);
  }
  return store;
}
