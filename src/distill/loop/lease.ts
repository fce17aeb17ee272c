import { randomBytes } from "node:crypto";
import { hostname } from "node:os";
import type { GatewayClient } from "../gateway-client/client.ts";
import type { LoopLog } from "./log.ts";

/**
 * The model's lease at the gateway (POST /admin/models/{name}/lease, held in D1): one loop at a time per
 * model, whatever machine it runs on. It is renewed every third of its TTL while held, and checked
 * before every write to the registry; a run killed outright stops renewing it and it lapses after the TTL.
 */
export class LeaseLost extends Error {}

export interface HeldLease {
  /** Renews the lease now; throws LeaseLost when another owner has taken it (ours lapsed). */
  confirm(): Promise<void>;
  /** Stops renewing and releases it (best effort: a lease not released lapses). */
  release(): Promise<void>;
}

/** Who this process is, as the lease records it: host, pid and a random tag (a pid is reused). */
export function leaseOwner(): string {
  const host = hostname().replace(/[^\x21-\x7e]/g, "_");
  return `${host}:${process.pid}:${randomBytes(4).toString("hex")}`.slice(-128);
}

export async function takeLease(
  client: GatewayClient,
  name: string,
  owner: string,
  ttlS: number,
  log: LoopLog,
): Promise<HeldLease | { held: string }> {
  const first = await client.takeLease(name, owner, ttlS);
  if ("held" in first) return first;
  log("lease", `taken by ${owner} until ${first.expires_at}`, { owner, expires_at: first.expires_at });
  let lost = false;
  const renew = async () => {
    const again = await client.takeLease(name, owner, ttlS);
    if ("held" in again) lost = true;
  };
  const timer = setInterval(
    () => {
      renew().catch((error: unknown) =>
        log("lease", `renewal failed, will retry: ${(error as Error).message}`),
      );
    },
    (ttlS * 1000) / 3,
  );
  timer.unref();
  return {
    async confirm() {
      if (!lost) await renew();
      if (lost) throw new LeaseLost(`the lease of ${name} lapsed and another run took it: stopping`);
    },
    async release() {
      clearInterval(timer);
      if (lost) return;
      try {
        await client.releaseLease(name, owner);
        log("lease", "released");
      } catch (error) {
        log("lease", `not released (it lapses after its TTL): ${(error as Error).message}`);
      }
    },
  };
}
