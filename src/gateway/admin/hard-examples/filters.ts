import { z } from "zod";
import { HardExampleRoute } from "../../../core/hard-example.ts";
import { parseQuery } from "../query.ts";

/**
 * The query of GET /admin/hard-examples. Every filter is optional; parsed strictly (../query.ts).
 */
export const MAX_EXPORT = 100_000;
export const DEFAULT_EXPORT = 1000;

const Limit = z
  .string()
  .regex(/^[0-9]+$/, "must be a positive integer")
  .transform(Number)
  .pipe(z.number().int().min(1).max(MAX_EXPORT));

/** An ISO 8601 instant (with Z or an offset) or a calendar date (midnight UTC), as the index stores it. */
const Since = z
  .union([z.iso.datetime({ offset: true }), z.iso.date()])
  .transform((text) => new Date(text).toISOString());

export const ExportQuery = z.strictObject({
  model: z.string().min(1).max(64).optional().meta({ description: "Only this model's records" }),
  version: z.string().min(1).max(64).optional().meta({ description: "Only records of this model version" }),
  route: HardExampleRoute.optional().meta({ description: "Only records logged for this reason" }),
  since: Since.optional().meta({ description: "Only records at or after this time (ISO 8601)" }),
  limit: Limit.default(DEFAULT_EXPORT).meta({
    description: `At most this many records, oldest first (default ${DEFAULT_EXPORT}, max ${MAX_EXPORT})`,
  }),
});
export type ExportFilters = z.output<typeof ExportQuery>;

export function parseFilters(queries: Record<string, string[]>): ExportFilters {
  return parseQuery(ExportQuery, queries);
}
