import { z } from "zod";
import { type BudgetLimits, MAX_BUDGET } from "./limits.ts";

/**
 * The budget's arithmetic, apart from where the counts live: UTC hour and day windows, and one
 * reservation of `count` texts checked against every window that limits it. A reservation is all or
 * nothing: a batch that does not fit in every window is refused whole, so a granted batch never takes a
 * window past its limit.
 */

export const PERIODS = ["hour", "day"] as const;
export type Period = (typeof PERIODS)[number];

const PERIOD_MS: Record<Period, number> = { hour: 3_600_000, day: 86_400_000 };

/** The window of `period` that holds `now` (UTC; epoch ms). */
export function windowAt(period: Period, now: number): { start: number; end: number } {
  const start = Math.floor(now / PERIOD_MS[period]) * PERIOD_MS[period];
  return { start, end: start + PERIOD_MS[period] };
}

/** Whose count a row is: the model's total, or one client key's share of it. */
export const MODEL_SCOPE = "*";
const clientScope = (client: string) => `key:${client}`;

/** One count: texts sent (used) and texts refused in one window for one scope. */
export interface WindowCount {
  used: number;
  refused: number;
}

/** Where the counts live (the Durable Object's SQLite; a Map in unit tests). Synchronous on purpose. */
export interface CountStore {
  read(period: Period, start: number, scope: string): WindowCount;
  add(period: Period, start: number, scope: string, delta: WindowCount): void;
}

/** What a Worker asks for: `count` texts of one model for one client (absent: no key). */
export const Reservation = z.strictObject({
  count: z.number().int().min(0).max(MAX_BUDGET),
  client: z.string().min(1).max(200).optional(),
  limits: z.strictObject({
    perHour: z.number().int().min(0).nullable(),
    perDay: z.number().int().min(0).nullable(),
    perClientPerHour: z.number().int().min(0).nullable(),
    perClientPerDay: z.number().int().min(0).nullable(),
  }) satisfies z.ZodType<BudgetLimits>,
  now: z.number().int().min(0),
});
export type Reservation = z.infer<typeof Reservation>;

/** The model's figures in one window, as /metrics and /admin/stats show them. */
export interface WindowUsage extends WindowCount {
  limit: number | null;
  /** When the window ends (epoch ms). */
  resetsAt: number;
}

export interface ReservationResult {
  granted: boolean;
  /** Refused: the windows that had no room. */
  exhausted: Period[];
  /** Refused: seconds until the last exhausted window resets; 0 when granted. */
  retryAfterS: number;
  /** The model's totals after this reservation. */
  usage: Record<Period, WindowUsage>;
}

interface Check {
  period: Period;
  scope: string;
  limit: number | null;
}

function checksFor({ client, limits }: Reservation): Check[] {
  const checks: Check[] = [
    { period: "hour", scope: MODEL_SCOPE, limit: limits.perHour },
    { period: "day", scope: MODEL_SCOPE, limit: limits.perDay },
  ];
  // A client's share is counted (for /admin/stats) whenever the request names one.
  if (client)
    checks.push(
      { period: "hour", scope: clientScope(client), limit: limits.perClientPerHour },
      { period: "day", scope: clientScope(client), limit: limits.perClientPerDay },
    );
  return checks;
}

/** Checks and books one reservation. Must run without interruption (the Durable Object's one turn). */
export function reserve(store: CountStore, request: Reservation): ReservationResult {
  const { count, now } = request;
  const checks = checksFor(request);
  const full = checks.filter((check) => {
    if (check.limit === null) return false;
    const { used } = store.read(check.period, windowAt(check.period, now).start, check.scope);
    return used + count > check.limit;
  });
  const granted = full.length === 0;
  if (count > 0)
    for (const check of checks)
      store.add(
        check.period,
        windowAt(check.period, now).start,
        check.scope,
        granted ? { used: count, refused: 0 } : { used: 0, refused: count },
      );
  const resets = full.map((check) => windowAt(check.period, now).end);
  return {
    granted,
    exhausted: [...new Set(full.map((check) => check.period))],
    retryAfterS: granted ? 0 : Math.max(1, Math.ceil((Math.max(...resets) - now) / 1000)),
    usage: modelUsage(store, request.limits, now),
  };
}

/** The model's total in the current hour and day. */
export function modelUsage(
  store: CountStore,
  limits: Pick<BudgetLimits, "perHour" | "perDay">,
  now: number,
): Record<Period, WindowUsage> {
  const one = (period: Period, limit: number | null): WindowUsage => {
    const { start, end } = windowAt(period, now);
    return { ...store.read(period, start, MODEL_SCOPE), limit, resetsAt: end };
  };
  return { hour: one("hour", limits.perHour), day: one("day", limits.perDay) };
}
