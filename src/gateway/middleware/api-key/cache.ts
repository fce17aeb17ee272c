import type { KeyRecord } from "./record.ts";

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
