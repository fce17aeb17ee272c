import { POINTER_PREFIX } from "./keys.ts";
import { KvRecordStore } from "./kv-records.ts";
import { Pointer } from "./pointer.ts";

/**
 * The pointers in KV. KV has no transactions: two admins promoting the same model at the same moment
 * race, and the last write wins. Admin changes are rare and made by one operator or one toolkit run, so
 * that is accepted rather than paying for a Durable Object. An invalid pointer read for serving is left
 * out (its model then serves its bundled version).
 */
export class PointerStore extends KvRecordStore<typeof Pointer> {
  constructor(kv: KVNamespace) {
    super(kv, POINTER_PREFIX, Pointer, "pointer");
  }
}
