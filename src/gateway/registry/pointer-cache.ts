import { DefinitionStore } from "./definitions.ts";
import type { ModelDefinition } from "./model-definition.ts";
import type { Pointer } from "./pointer.ts";
import { PointerStore } from "./pointers.ts";

/**
 * The registry's KV (pointers and model definitions) as this isolate last read it, refreshed when older
 * than the TTL (REGISTRY_TTL_MS), so a promotion or a new model reaches every isolate within the TTL
 * without a redeploy and without a KV read per request.
 * - One refresh at a time: requests arriving while it runs wait for the same read.
 * - A failed refresh keeps serving what was read before (logged), and is retried after another TTL,
 *   so a KV outage neither fails requests nor turns into a KV read per request.
 * Keyed by the KV binding object, so apps with different namespaces (tests) never share entries.
 */
export interface RegistrySnapshot {
  pointers: ReadonlyMap<string, Pointer>;
  definitions: ReadonlyMap<string, ModelDefinition>;
}

interface Entry {
  at: number;
  snapshot: RegistrySnapshot;
  refreshing: Promise<RegistrySnapshot> | null;
}

const EMPTY: RegistrySnapshot = { pointers: new Map(), definitions: new Map() };

export class PointerCache {
  private readonly entries = new WeakMap<KVNamespace, Entry>();

  constructor(private readonly now: () => number = Date.now) {}

  async get(kv: KVNamespace, ttlMs: number): Promise<RegistrySnapshot> {
    let entry = this.entries.get(kv);
    if (!entry) {
      entry = { at: Number.NEGATIVE_INFINITY, snapshot: EMPTY, refreshing: null };
      this.entries.set(kv, entry);
    }
    if (this.now() - entry.at < ttlMs) return entry.snapshot;
    entry.refreshing ??= this.refresh(kv, entry);
    return entry.refreshing;
  }

  private async refresh(kv: KVNamespace, entry: Entry): Promise<RegistrySnapshot> {
    try {
      const [pointers, definitions] = await Promise.all([
        new PointerStore(kv).all(),
        new DefinitionStore(kv).all(),
      ]);
      entry.snapshot = { pointers, definitions };
    } catch (error) {
      console.error("registry: reading the pointers failed; serving the last ones read", error);
    } finally {
      entry.at = this.now();
      entry.refreshing = null;
    }
    return entry.snapshot;
  }
}
