import { z } from "zod";
import { ModelName } from "../../registry/keys.ts";

/** Bodies of the lease routes (docs/admin-api.md "Leases"). */

/** Who holds a lease: printable ASCII, so it can be shown in a message and given back in a query. */
export const LeaseOwner = z
  .string()
  .regex(/^[\x21-\x7e]{1,128}$/, "1 to 128 printable ASCII characters, no spaces")
  .meta({ description: "Who takes the lease, e.g. host:pid:random; the same owner renews it" });

/** The longest lease: a day. A holder that needs longer renews. */
export const MAX_LEASE_TTL_S = 86_400;

export const LeaseRequest = z
  .strictObject({
    owner: LeaseOwner,
    ttl_s: z
      .number()
      .int()
      .min(1)
      .max(MAX_LEASE_TTL_S)
      .meta({ description: "Seconds until the lease lapses unless its owner takes it again" }),
  })
  .meta({ id: "LeaseRequest" });
export type LeaseRequest = z.infer<typeof LeaseRequest>;

export const Lease = z
  .strictObject({
    name: ModelName,
    owner: LeaseOwner,
    acquired_at: z.iso.datetime(),
    expires_at: z.iso.datetime(),
  })
  .meta({ id: "Lease" });
export type Lease = z.infer<typeof Lease>;

export const ReleaseQuery = z.strictObject({ owner: LeaseOwner });

export const Released = z
  .strictObject({
    name: ModelName,
    owner: LeaseOwner,
    released: z
      .boolean()
      .meta({ description: "false when that owner did not hold the lease (already free)" }),
  })
  .meta({ id: "Released" });
export type Released = z.infer<typeof Released>;
