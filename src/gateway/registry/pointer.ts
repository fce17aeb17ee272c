import { z } from "zod";
import { ApiError } from "../errors.ts";
import { Version } from "./keys.ts";

/**
 * The per-model pointer kept in KV (REGISTRY, key pointer/{name}): which version is live, the versions
 * that were live before it (oldest first; rollback pops the last), and an optional canary served to a
 * stable share of requests. The transitions are pure functions so they are tested without KV.
 */
export const Canary = z.strictObject({
  version: Version,
  percent: z.number().int().min(1).max(99),
});
export type Canary = z.infer<typeof Canary>;

export const Pointer = z.strictObject({
  live: Version,
  previous: z.array(Version),
  canary: Canary.nullable(),
  updated_at: z.iso.datetime(),
});
export type Pointer = z.infer<typeof Pointer>;

/** Enough history for any sane rollback chain, and the KV value stays small. */
export const MAX_PREVIOUS = 20;

/**
 * The pointer a model has before anyone promoted anything: the bundled version is live. null for a
 * model that exists only in R2 and has never been promoted.
 */
export function implicitPointer(bundledVersion: string | null): Omit<Pointer, "updated_at"> | null {
  return bundledVersion === null ? null : { live: bundledVersion, previous: [], canary: null };
}

type Current = Omit<Pointer, "updated_at"> | null;

/** Without a percentage the version goes live (the old live is remembered); with one it becomes the canary. */
export function promote(
  current: Current,
  version: string,
  canaryPercent: number | undefined,
  now: Date,
): Pointer {
  const updated_at = now.toISOString();
  if (canaryPercent !== undefined) {
    if (current === null)
      throw new ApiError(
        400,
        "invalid_request",
        "the model has no live version yet: promote one without canary_percent first",
      );
    if (current.live === version)
      throw new ApiError(
        400,
        "invalid_request",
        `version "${version}" is already live; a canary must be another version`,
      );
    return { ...current, canary: { version, percent: canaryPercent }, updated_at };
  }
  if (current === null) return { live: version, previous: [], canary: null, updated_at };
  // Promoting the live version again only ends a canary; it must not push itself onto the history.
  if (current.live === version) return { ...current, canary: null, updated_at };
  const previous = [...current.previous, current.live].slice(-MAX_PREVIOUS);
  return { live: version, previous, canary: null, updated_at };
}

/** The last previous version goes live again; the canary is dropped. */
export function rollback(current: Current, now: Date): Pointer {
  const last = current?.previous.at(-1);
  if (current === null || last === undefined)
    throw new ApiError(400, "invalid_request", "there is no previous version to roll back to");
  return { live: last, previous: current.previous.slice(0, -1), canary: null, updated_at: now.toISOString() };
}
