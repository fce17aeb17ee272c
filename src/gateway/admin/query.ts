import { z } from "zod";
import { ApiError, parseRequest } from "../errors.ts";

/**
 * What the admin GET routes share: their query strings are parsed strictly, so an unknown or repeated
 * parameter is a 400 rather than silently ignored (a typo such as `?modle=` must not turn into an export
 * of everything), and their D1 reads say "apply the migrations" instead of failing with a 500.
 */
export function parseQuery<S extends z.ZodType>(schema: S, queries: Record<string, string[]>): z.output<S> {
  const single: Record<string, string> = {};
  for (const [key, values] of Object.entries(queries)) {
    if (values.length !== 1) throw new ApiError(400, "invalid_request", `${key}: given more than once`);
    single[key] = values[0]!;
  }
  return parseRequest(schema, single);
}

/**
 * A count from 1 to `max` in the query string, `fallback` when absent. Digits only: "2.5", "1e2" or " 5"
 * are refused rather than read as a number. The document states it as the integer it stands for.
 */
export function countParam(max: number, fallback: number, description: string) {
  return z
    .string()
    .regex(/^[0-9]+$/, "must be a positive integer")
    .transform(Number)
    .pipe(z.number().int().min(1).max(max))
    .default(fallback)
    .meta({ type: "integer", minimum: 1, maximum: max, default: fallback, description });
}

/** Runs a D1 read; a missing table (migrations not applied) becomes a 503 saying what is missing. */
export async function readD1<T>(missing: string, read: () => Promise<T>): Promise<T> {
  try {
    return await read();
  } catch (error) {
    if (/no such table/i.test(String(error)))
      throw new ApiError(503, "not_configured", `${missing}: apply the D1 migrations`);
    throw error;
  }
}
