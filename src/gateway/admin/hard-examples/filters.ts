import { z } from "zod";
import { HardExampleRoute } from "../../../core/hard-example.ts";
import { parseQuery } from "../query.ts";

/**
 * The query of GET /admin/hard-examples (documented in ../openapi.ts). Every filter is optional; parsed
 * strictly (../query.ts).
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
  model: z.string().min(1).max(64).optional(),
  version: z.string().min(1).max(64).optional(),
  route: HardExampleRoute.optional(),
  since: Since.optional(),
  limit: Limit.default(DEFAULT_EXPORT),
});
export type ExportFilters = z.output<typeof ExportQuery>;

export function parseFilters(queries: Record<string, string[]>): ExportFilters {
  return parseQuery(ExportQuery, queries);
}
