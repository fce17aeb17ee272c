import { createRoute } from "@hono/zod-openapi";
import { z } from "zod";
import type { AppContext, AppEnv } from "../../context.ts";
import { ApiError, parseRequest } from "../../errors.ts";
import { jsonBody } from "../../middleware/json-body/index.ts";
import { documentedApp, jsonContent, jsonRequest, mount } from "../../openapi.ts";
import { ModelName } from "../../registry/keys.ts";
import { parseQuery, readD1 } from "../query.ts";
import { adminRoute } from "../route.ts";
import { Lease, LeaseRequest, Released, ReleaseQuery } from "./schemas.ts";
import { releaseLease, takeLease } from "./store.ts";

/**
 * A lease per model in D1 (docs/admin-api.md "Leases"): a mutual exclusion that holds across machines,
 * with a time to live so a holder that dies frees it. `npm run loop` takes one before each round, so
 * two loops never re-distil and publish the same model at once. The model need not exist: the lease
 * guards a name, and the registry routes say whether the name serves anything.
 */
const MAX_LEASE_BODY = 1024;
const nameParams = z.object({ name: ModelName.meta({ description: "Model name" }) });

const takeRoute = adminRoute(
  createRoute({
    method: "post",
    path: "/admin/models/{name}/lease",
    operationId: "takeLease",
    summary: "Take or renew the model's lease; 409 lease_held while another owner holds it",
    description:
      "Granted when the model has no lease, when its lease lapsed (expires_at passed), or when `owner` holds it (a renewal: expires_at moves to now + ttl_s, acquired_at stays). One statement in D1, so of racing owners exactly one gets it.",
    request: { params: nameParams, body: jsonRequest(LeaseRequest) },
    responses: { 200: jsonContent(Lease, "The lease, now held by owner") },
  }),
  400,
  409,
  413,
  415,
);

const releaseRoute = adminRoute(
  createRoute({
    method: "delete",
    path: "/admin/models/{name}/lease",
    operationId: "releaseLease",
    summary: "Release the model's lease if `owner` holds it (again: released false)",
    request: { params: nameParams, query: ReleaseQuery },
    responses: { 200: jsonContent(Released, "Whether owner's lease was released") },
  }),
  400,
);

function leaseDb(c: AppContext): D1Database {
  const db = c.env?.DB;
  if (!db) throw new ApiError(503, "not_configured", "leases are not configured: bind the D1 database DB");
  return db;
}

const iso = (ms: number) => new Date(ms).toISOString();
const MISSING = "the leases table does not exist";

export const leaseAdminRoutes = documentedApp();
mount(leaseAdminRoutes, takeRoute, jsonBody<AppEnv>({ maxBytes: () => MAX_LEASE_BODY }), async (c) => {
  const name = parseRequest(ModelName, c.req.param("name"), "name");
  const body = parseRequest(LeaseRequest, c.var.jsonBody);
  const db = leaseDb(c);
  const result = await readD1(MISSING, () => takeLease(db, name, body.owner, body.ttl_s * 1000, Date.now()));
  if (!result.taken)
    throw new ApiError(
      409,
      "lease_held",
      `the lease of ${name} is held by ${result.holder.owner} until ${iso(result.holder.expires_at)}`,
    );
  const { owner, acquired_at, expires_at } = result.row;
  const lease: Lease = { name, owner, acquired_at: iso(acquired_at), expires_at: iso(expires_at) };
  return c.json(lease);
});
mount(leaseAdminRoutes, releaseRoute, async (c) => {
  const name = parseRequest(ModelName, c.req.param("name"), "name");
  const { owner } = parseQuery(ReleaseQuery, c.req.queries());
  const db = leaseDb(c);
  const released = await readD1(MISSING, () => releaseLease(db, name, owner));
  const answer: Released = { name, owner, released };
  return c.json(answer);
});
