import { createRoute } from "@hono/zod-openapi";
import { z } from "zod";
import { limitsFor } from "../../budget/limits.ts";
import { readBudgetStats } from "../../budget/stats.ts";
import { ApiError } from "../../errors.ts";
import type { ModelCatalog } from "../../models/catalog.ts";
import { type DocumentedApp, documentedApp, jsonContent, mount } from "../../openapi.ts";
import { ModelName, Version } from "../../registry/keys.ts";
import { storesOf } from "../models/state.ts";
import { countParam, parseQuery, readD1 } from "../query.ts";
import { adminRoute } from "../route.ts";
import { assembleStats } from "./assemble.ts";
import { readFeedbackStats } from "./feedback.ts";
import { readStats, statsWindow, thresholdOf } from "./queries.ts";
import { StatsResponse } from "./schema.ts";

/**
 * GET /admin/stats: the live statistics of one model (or one of its versions) over the last hours, from
 * D1, across every isolate: answers by source per hour, the score histogram, the student's agreement
 * with the teacher on the audit sample, the most confused label pairs, hard examples by route; and the
 * model's teacher budget, from its Durable Object.
 */
const MAX_HOURS = 720;
const DEFAULT_HOURS = 24;
const MAX_TOP = 50;
const DEFAULT_TOP = 10;

/** The query, parsed strictly (../query.ts): `?hour=1` must not quietly give the default 24 hours. */
export const StatsQuery = z.strictObject({
  model: ModelName.optional().meta({ description: "The model (default DEFAULT_MODEL)" }),
  version: Version.optional().meta({ description: "Only this version's figures" }),
  hours: countParam(MAX_HOURS, DEFAULT_HOURS, "Hours in the window, the last one the current hour"),
  top: countParam(MAX_TOP, DEFAULT_TOP, "Confused label pairs (and labels the teacher gets wrong) to list"),
  until: z.iso
    .datetime({ offset: true })
    .transform((text) => new Date(text))
    // An offset can push 9999-12-31 into year 10000, which toISOString no longer writes as ISO 8601.
    .refine((d) => d.getTime() >= 0 && d.getUTCFullYear() <= 9999, "must be between 1970 and 9999")
    .optional()
    .meta({ description: "End the window here instead of now" }),
});

const statsRoute = adminRoute(
  createRoute({
    method: "get",
    path: "/admin/stats",
    operationId: "getStats",
    summary:
      "Live statistics of a model (D1): answers per hour, audit agreement, confused pairs, feedback accuracy",
    request: { query: StatsQuery },
    responses: { 200: jsonContent(StatsResponse, "OK") },
  }),
  400,
  404,
);

export function statsRoutes(catalog: ModelCatalog): DocumentedApp {
  return mount(documentedApp(), statsRoute, async (c) => {
    const query = parseQuery(StatsQuery, c.req.queries());
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
    const filter = { model, version, window, top: query.top };
    const [rows, feedback] = await readD1("the statistics' D1 tables do not exist", () =>
      Promise.all([readStats(db, filter), readFeedbackStats(db, filter)]),
    );
    // The budget's own counter, read live: exact and global, unlike the per-isolate /metrics.
    const budget = await readBudgetStats(c.env ?? {}, model, limitsFor(definition?.budget, config.budget));
    const stats = assembleStats(rows, {
      model,
      version,
      window,
      threshold,
      pricePerCall: definition?.teacher?.pricePerCall ?? config.costs.teacherPricePerCall,
    });
    return c.json({ ...stats, budget, feedback } satisfies StatsResponse, 200, {
      "cache-control": "no-store",
    });
  });
}
