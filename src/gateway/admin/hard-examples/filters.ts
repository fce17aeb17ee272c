import { z } from "zod";
import { HardExampleRoute } from "../../../core/hard-example.ts";
import { countParam, parseQuery } from "../query.ts";

/**
 * The query of GET /admin/hard-examples, as its route declares it (index.ts). Every filter is optional;
 * parsed strictly (../query.ts).
 */
export const MAX_EXPORT = 100_000;
export const DEFAULT_EXPORT = 1000;

/** An ISO 8601 instant (with Z or an offset) or a calendar date (midnight UTC), as the index stores it. */
const Since = z
  .union([z.iso.datetime({ offset: true }), z.iso.date()])
  .transform((text) => new Date(text).toISOString());

export const ExportQuery = z.strictObject({
  model: z.string().min(1).max(64).optional().meta({ description: "Only this model's records" }),
  version: z.string().min(1).max(64).optional().meta({ description: "Only this model version's records" }),
  route: HardExampleRoute.optional().meta({ description: "Only records logged for this reason" }),
  since: Since.optional().meta({ description: "At or after this time (ISO 8601 instant or date)" }),
  limit: countParam(MAX_EXPORT, DEFAULT_EXPORT, "At most this many records"),
});
export type ExportFilters = z.output<typeof ExportQuery>;

export function parseFilters(queries: Record<string, string[]>): ExportFilters {
  return parseQuery(ExportQuery, queries);
}
