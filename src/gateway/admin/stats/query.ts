import { z } from "zod";
import { ModelName, Version } from "../../registry/keys.ts";
import { parseQuery } from "../query.ts";

/**
 * The query of GET /admin/stats, parsed strictly (../query.ts): `?hour=1` must not quietly give the
 * default 24 hours. Its OpenAPI parameters are in ../openapi.ts.
 */
export const MAX_HOURS = 720;
export const DEFAULT_HOURS = 24;
export const MAX_TOP = 50;
export const DEFAULT_TOP = 10;

const int = (min: number, max: number) =>
  z
    .string()
    .regex(/^[0-9]+$/, "must be a positive integer")
    .transform(Number)
    .pipe(z.number().int().min(min).max(max));

export const StatsQuery = z.strictObject({
  model: ModelName.optional(),
  version: Version.optional(),
  hours: int(1, MAX_HOURS).default(DEFAULT_HOURS),
  top: int(1, MAX_TOP).default(DEFAULT_TOP),
  until: z.iso
    .datetime({ offset: true })
    .transform((text) => new Date(text))
    // An offset can push 9999-12-31 into year 10000, which toISOString no longer writes as ISO 8601.
    .refine((d) => d.getTime() >= 0 && d.getUTCFullYear() <= 9999, "must be between 1970 and 9999")
    .optional(),
});
export type StatsQuery = z.output<typeof StatsQuery>;

export function parseStatsQuery(queries: Record<string, string[]>): StatsQuery {
  return parseQuery(StatsQuery, queries);
}
