import { z } from "zod";
import { KeyCache } from "./cache.ts";
import { keyHash, newKey, newKeyId } from "./key.ts";
import { KeyRecord } from "./record.ts";

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

export interface CreatedKey {
  record: KeyRecord;
  /** The key itself: returned this once, stored nowhere. */
  key: string;
}

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
    return { record, key };
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
