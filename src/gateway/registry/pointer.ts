import { z } from "zod";
import { ApiError } from "../errors.ts";
import { CanaryDecision, CanaryPolicy, MAX_DECISIONS } from "./canary-decision.ts";
import { Version } from "./keys.ts";

/**
 * The per-model pointer kept in KV (REGISTRY, key pointer/{name}): which version is live, the versions
 * that were live before it (oldest first; rollback pops the last), and an optional canary served to a
 * stable share of requests. The transitions are pure functions so they are tested without KV.
 */
export const Canary = z.strictObject({
  version: Version,
  percent: z.number().int().min(1).max(99),
  // The automatic decision (registry/decide.ts). Optional: canaries stored before it have none and are
  // decided with the defaults, counting from the pointer's updated_at.
  started_at: z.iso.datetime().optional().meta({ description: "When the version became the canary" }),
  decision: CanaryPolicy.optional(),
});
export type Canary = z.infer<typeof Canary>;

/** A version run beside the live student on a share of requests; it never answers (evidence/shadow.ts). */
export const Shadow = z.strictObject({
  version: Version,
  percent: z.number().int().min(1).max(100),
  started_at: z.iso.datetime(),
});
export type Shadow = z.infer<typeof Shadow>;

export const Pointer = z.strictObject({
  live: Version,
  previous: z.array(Version),
  canary: Canary.nullable(),
  shadow: Shadow.nullable().optional(),
  /** The automatic canary decisions, oldest first, at most MAX_DECISIONS. */
  decisions: z.array(CanaryDecision).optional(),
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

/** A shadow of the version that now serves (live or canary) has nothing left to show. */
function withoutShadowOf(current: NonNullable<Current>, version: string): NonNullable<Current> {
  return current.shadow?.version === version ? { ...current, shadow: null } : current;
}

/**
 * Without a percentage the version goes live (the old live is remembered); with one it becomes the
 * canary, decided automatically by `policy` (its defaults when absent).
 */
export function promote(
  stored: Current,
  version: string,
  canaryPercent: number | undefined,
  now: Date,
  policy: CanaryPolicy = CanaryPolicy.parse({}),
): Pointer {
  const updated_at = now.toISOString();
  const current = stored === null ? null : withoutShadowOf(stored, version);
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
    const canary = { version, percent: canaryPercent, started_at: updated_at, decision: policy };
    return { ...current, canary, updated_at };
  }
  if (current === null) return { live: version, previous: [], canary: null, updated_at };
  // Promoting the live version again only ends a canary; it must not push itself onto the history.
  if (current.live === version) return { ...current, canary: null, updated_at };
  const previous = [...current.previous, current.live].slice(-MAX_PREVIOUS);
  return { ...current, live: version, previous, canary: null, updated_at };
}

/** The last previous version goes live again; the canary is dropped. */
export function rollback(current: Current, now: Date): Pointer {
  const last = current?.previous.at(-1);
  if (current === null || last === undefined)
    throw new ApiError(400, "invalid_request", "there is no previous version to roll back to");
  return {
    ...current,
    live: last,
    previous: current.previous.slice(0, -1),
    canary: null,
    updated_at: now.toISOString(),
  };
}

/** Starts (or replaces) a shadow; the live version and the canary serve already, so neither can be one. */
export function startShadow(current: Current, version: string, percent: number, now: Date): Pointer {
  if (current === null)
    throw new ApiError(
      400,
      "invalid_request",
      "the model has no live version yet: a shadow is compared with the live student",
    );
  if (current.live === version || current.canary?.version === version)
    throw new ApiError(400, "invalid_request", `version "${version}" serves already; shadow another version`);
  const at = now.toISOString();
  return { ...current, shadow: { version, percent, started_at: at }, updated_at: at };
}

export function stopShadow(current: Current, now: Date): Pointer {
  if (!current?.shadow) throw new ApiError(400, "invalid_request", "the model has no shadow to stop");
  return { ...current, shadow: null, updated_at: now.toISOString() };
}

/** The pointer after an automatic decision: the canary goes live or is dropped, and the decision is kept. */
export function settleCanary(current: Pointer, decision: CanaryDecision, now: Date): Pointer {
  const next =
    decision.action === "promote"
      ? promote(current, decision.canary, undefined, now)
      : { ...current, canary: null, updated_at: now.toISOString() };
  return { ...next, decisions: [...(current.decisions ?? []), decision].slice(-MAX_DECISIONS) };
}
