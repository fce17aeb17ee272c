import type { Pointer } from "./pointer.ts";
import { PointerStore } from "./pointers.ts";

/**
 * The pointers as this isolate last read them, refreshed when older than the TTL (REGISTRY_TTL_MS), so a
 * promotion reaches every isolate within the TTL without a redeploy and without a KV read per request.
 * - One refresh at a time: requests arriving while it runs wait for the same read.
 * - A failed refresh keeps serving the pointers read before (logged), and is retried after another TTL,
 *   so a KV outage neither fails requests nor turns into a KV read per request.
 * Keyed by the KV binding object, so apps with different namespaces (tests) never share entries.
 */
interface Entry {
  at: number;
  pointers: ReadonlyMap<string, Pointer>;
  refreshing: Promise<ReadonlyMap<string, Pointer>> | null;
}

const EMPTY: ReadonlyMap<string, Pointer> = new Map();

export class PointerCache {
  private readonly entries = new WeakMap<KVNamespace, Entry>();

  constructor(private readonly now: () => number = Date.now) {}

  async get(kv: KVNamespace, ttlMs: number): Promise<ReadonlyMap<string, Pointer>> {
    let entry = this.entries.get(kv);
    if (!entry) {
      entry = { at: Number.NEGATIVE_INFINITY, pointers: EMPTY, refreshing: null };
      this.entries.set(kv, entry);
    }
    if (this.now() - entry.at < ttlMs) return entry.pointers;
    entry.refreshing ??= this.refresh(kv, entry);
    return entry.refreshing;
  }

  private async refresh(kv: KVNamespace, entry: Entry): Promise<ReadonlyMap<string, Pointer>> {
    try {
      entry.pointers = await new PointerStore(kv).all();
    } catch (error) {
      console.error("registry: reading the pointers failed; serving the last ones read", error);
    } finally {
      entry.at = this.now();
      entry.refreshing = null;
    }
    return entry.pointers;
  }
}
