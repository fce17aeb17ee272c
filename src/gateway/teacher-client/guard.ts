import { type BreakerState, TeacherError } from "./types.ts";

/**
 * Deadline, retry, circuit breaker and concurrency cap around teacher calls.
 *
 * Written by hand rather than with cockatiel: cockatiel 3.2.1 creates and aborts an AbortController at
 * module scope, which workerd forbids ("Disallowed operation called within global scope"), so the
 * Worker would not even start under wrangler dev or in production (cockatiel 4 needs Node 22). The
 * rules we need are also not cockatiel's defaults:
 * - an open breaker refuses at once, and while its single half-open probe is in flight every other
 *   caller is refused too (the caller falls back to the student instead of waiting);
 * - the probe is sent without retries, so exactly one request reaches a recovering teacher per cooldown;
 * - a retry happens only on a network error or 5xx, and only if the deadline leaves room for it, after
 *   a jittered backoff scaled to the time left; the outcome is due at the deadline even if an adapter
 *   ignores its abort signal.
 *
 * State is per isolate (module level) and per teacher model. Workers isolates do not share memory, so
 * each one learns a teacher's health on its own.
 */
export interface GuardSettings {
  timeoutMs: number;
  retries: number;
  maxConcurrency: number;
  breakerFailures: number;
  breakerCooldownMs: number;
}

interface Guard {
  teacher: string;
  settings: GuardSettings;
  /** Consecutive failed calls; reaching breakerFailures opens the breaker. */
  failures: number;
  /** When the breaker last opened; 0 while closed. */
  openedAt: number;
  probing: boolean;
  inFlight: number;
}

const guards = new Map<string, Guard>();

// A retry is not worth starting with less time than this left: backoff plus a round trip.
const MIN_RETRY_BUDGET_MS = 100;
const BASE_BACKOFF_MS = 50;

function keyOf(teacher: string, model: string, settings: GuardSettings): string {
  // Settings are part of the key so that clients configured differently (tests) never share state; a
  // deployment has one configuration per isolate, so in production this is the (teacher, model) key.
  return JSON.stringify([teacher, model, settings]);
}

/** The guard of one teacher model: `teacher` names the endpoint (protocol and URL). */
export function guardFor(teacher: string, model: string, settings: GuardSettings): Guard {
  const key = keyOf(teacher, model, settings);
  let guard = guards.get(key);
  if (!guard) {
    guard = { teacher, settings, failures: 0, openedAt: 0, probing: false, inFlight: 0 };
    guards.set(key, guard);
  }
  return guard;
}

function cooling(guard: Guard): boolean {
  return Date.now() - guard.openedAt < guard.settings.breakerCooldownMs;
}

function stateOf(guard: Guard): BreakerState {
  if (guard.openedAt === 0) return "closed";
  return guard.probing || !cooling(guard) ? "half_open" : "open";
}

const SEVERITY: Record<BreakerState, number> = { closed: 0, half_open: 1, open: 2 };

/**
 * Breaker state of one teacher model, or without a model the worst over every model of that teacher
 * this isolate has called (closed if none): a single gauge for metrics.
 */
export function breakerState(teacher: string, settings: GuardSettings, model?: string): BreakerState {
  if (model !== undefined) {
    const guard = guards.get(keyOf(teacher, model, settings));
    return guard ? stateOf(guard) : "closed";
  }
  const same = JSON.stringify(settings);
  let worst: BreakerState = "closed";
  for (const guard of guards.values()) {
    if (guard.teacher !== teacher || JSON.stringify(guard.settings) !== same) continue;
    const state = stateOf(guard);
    if (SEVERITY[state] > SEVERITY[worst]) worst = state;
  }
  return worst;
}

const retriable = (error: unknown) =>
  error instanceof TeacherError && (error.kind === "network" || error.kind === "http_5xx");

/** Equal jitter over an exponential step, never more than a quarter of the time left. */
function backoffMs(attempt: number, remainingMs: number): number {
  const step = Math.min(BASE_BACKOFF_MS * 2 ** (attempt - 1), remainingMs / 4);
  return step / 2 + (Math.random() * step) / 2;
}

function asTeacherError(error: unknown): TeacherError {
  if (error instanceof TeacherError) return error;
  // An adapter bug or a stand-in that threw something else: the call gave no usable answer.
  return new TeacherError("bad_response", error instanceof Error ? error.message : String(error));
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** `call` with retries, all inside one deadline; rejects with a TeacherError("timeout") at the deadline. */
async function withDeadline<T>(
  settings: GuardSettings,
  retries: number,
  call: (signal: AbortSignal) => Promise<T>,
): Promise<T> {
  const controller = new AbortController();
  const deadline = Date.now() + settings.timeoutMs;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      controller.abort();
      reject(new TeacherError("timeout", `no answer within the ${settings.timeoutMs} ms deadline`));
    }, settings.timeoutMs);
  });
  const attempts = async (): Promise<T> => {
    for (let attempt = 1; ; attempt++) {
      try {
        return await call(controller.signal);
      } catch (error) {
        const remaining = deadline - Date.now();
        if (
          controller.signal.aborted ||
          attempt > retries ||
          !retriable(error) ||
          remaining < MIN_RETRY_BUDGET_MS
        )
          throw error;
        await sleep(backoffMs(attempt, remaining));
      }
    }
  };
  try {
    return await Promise.race([attempts(), expired]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Runs `call` under the guard; every failure is a TeacherError. `admit` (the teacher budget) runs once the
 * breaker and the cap let the call through, before it goes out, so a call they refuse costs no budget; its
 * refusal (a TeacherError "budget") is the budget's, not the teacher's, and leaves the breaker as it was.
 */
export async function runGuarded<T>(
  guard: Guard,
  call: (signal: AbortSignal) => Promise<T>,
  admit?: () => Promise<void>,
): Promise<T> {
  const { settings } = guard;
  const open = guard.openedAt !== 0;
  if (open && (guard.probing || cooling(guard))) {
    throw new TeacherError(
      "breaker_open",
      guard.probing
        ? "the circuit breaker is half-open and its probe is in flight"
        : "the circuit breaker is open",
    );
  }
  if (guard.inFlight >= settings.maxConcurrency) {
    throw new TeacherError("overloaded", `${settings.maxConcurrency} teacher calls already in flight`);
  }
  guard.probing = open;
  guard.inFlight++;
  try {
    await admit?.();
  } catch (error) {
    guard.inFlight--;
    if (open) guard.probing = false;
    throw asTeacherError(error);
  }
  try {
    const result = await withDeadline(settings, open ? 0 : settings.retries, call);
    guard.failures = 0;
    guard.openedAt = 0;
    return result;
  } catch (error) {
    guard.failures++;
    if (open || guard.failures >= settings.breakerFailures) guard.openedAt = Date.now();
    throw asTeacherError(error);
  } finally {
    guard.inFlight--;
    if (open) guard.probing = false;
  }
}
