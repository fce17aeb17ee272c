import { z } from "zod";
import { HardExampleRoute } from "../../../core/hard-example.ts";
import { ApiError, describeIssues } from "../../errors.ts";

/**
 * The query of GET /admin/hard-examples. Every filter is optional; an unknown or repeated parameter is a
 * 400 rather than silently ignored, so a typo (`?modle=`) cannot turn into an export of everything.
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
  const single: Record<string, string> = {};
  for (const [key, values] of Object.entries(queries)) {
    if (values.length !== 1) throw new ApiError(400, "invalid_request", `${key}: given more than once`);
    single[key] = values[0]!;
  }
  const parsed = ExportQuery.safeParse(single);
  if (!parsed.success) throw new ApiError(400, "invalid_request", describeIssues(parsed.error));
  return parsed.data;
}
