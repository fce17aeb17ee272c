import { z } from "zod";

/**
 * CORS_ORIGINS: which browser origins may call /v1 and /v2. "" (the default) sends no CORS headers at all,
 * "*" allows any origin, otherwise a comma-separated list of exact origins (scheme://host[:port]).
 */
export type CorsOrigins = null | "*" | string[];

/** An origin exactly as a browser sends it in the Origin header: no path, no trailing slash. */
const Origin = z.string().refine((value) => {
  try {
    const url = new URL(value);
    return /^https?:$/.test(url.protocol) && url.origin === value;
  } catch {
    return false;
  }
}, "each origin must be scheme://host[:port], as browsers send it (no path, no trailing slash)");

export const CorsOriginsVar = z
  .string()
  .trim()
  .transform((value): CorsOrigins => {
    if (value === "") return null;
    if (value === "*") return "*";
    return value.split(",").map((origin) => origin.trim());
  })
  .pipe(z.union([z.null(), z.literal("*"), z.array(Origin).min(1)]))
  .default(null);
