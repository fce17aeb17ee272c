import { Hono } from "hono";
import type { AppEnv } from "../../context.ts";
import { ApiError } from "../../errors.ts";
import type { ModelCatalog } from "../../models/catalog.ts";
import { storesOf } from "../models/state.ts";
import { readD1 } from "../query.ts";
import { assembleStats } from "./assemble.ts";
import { readStats } from "./queries.ts";
import { parseStatsQuery } from "./query.ts";
import { thresholdOf } from "./threshold.ts";
import { statsWindow } from "./window.ts";

/**
 * GET /admin/stats: the live statistics of one model (or one of its versions) over the last hours, from
 * D1, across every isolate: answers by source per hour, the score histogram, the student's agreement
 * with the teacher on the audit sample, the most confused label pairs, hard examples by route.
 */
export function statsRoutes(catalog: ModelCatalog): Hono<AppEnv> {
  return new Hono<AppEnv>().get("/admin/stats", async (c) => {
    const query = parseStatsQuery(c.req.queries());
    const { config } = c.var.services;
    const model = query.model ?? config.defaultModel;
    const version = query.version ?? null;
    const stores = storesOf(catalog, c.env);
    const threshold = await thresholdOf(stores, model, version);
    // The model's own teacher may cost more or less than the gateway's default.
    const definition = await stores.definitions?.get(model);
    const db = c.env?.DB;
    if (!db)
      throw new ApiError(503, "not_configured", "the statistics are not configured: bind the D1 database DB");
    const window = statsWindow(query.until ?? new Date(), query.hours);
    const rows = await readD1("the statistics' D1 tables do not exist", () =>
      readStats(db, { model, version, window, top: query.top }),
    );
    const stats = assembleStats(rows, {
      model,
      version,
      window,
      threshold,
      pricePerCall: definition?.teacher?.pricePerCall ?? config.costs.teacherPricePerCall,
    });
    return c.json(stats, 200, { "cache-control": "no-store" });
  });
}
