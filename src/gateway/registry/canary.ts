import { hashString } from "../../core/hash.ts";
import type { Pointer, Shadow } from "./pointer.ts";

/**
 * Which requests see the canary. The bucket is FNV-1a (32-bit) over the UTF-8 bytes of the request id,
 * finalised with murmur3's fmix32 (core/hash.ts, the featuriser's hash: identical in Node and workerd),
 * modulo 100. A request whose bucket is below the canary percentage gets the canary, so:
 * - the same x-request-id always gets the same version (a client retrying sees one model), and
 * - raising the percentage only adds buckets: requests already on the canary stay on it.
 * Without a client-sent x-request-id the gateway makes a random UUID, so the split is random per request.
 */
export function canaryBucket(requestId: string): number {
  return hashString(requestId) % 100;
}

export function chooseVersion(pointer: Pick<Pointer, "live" | "canary">, requestId: string): string {
  const { canary } = pointer;
  return canary !== null && canaryBucket(requestId) < canary.percent ? canary.version : pointer.live;
}

/**
 * Which requests run the shadow: the same stable hash of the request id with another seed, so the
 * shadow's share is independent of the canary's (a request may be in both; the shadow then skips it,
 * as it only runs beside the live version).
 */
export function inShadow(shadow: Pick<Shadow, "percent">, requestId: string): boolean {
  return hashString(requestId, SHADOW_SEED) % 100 < shadow.percent;
}
const SHADOW_SEED = 0x5ad0;
