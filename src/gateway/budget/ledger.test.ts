import { describe, expect, it } from "vitest";
import { type CountStore, type Reservation, reserve, type WindowCount, windowAt } from "./ledger.ts";
import { limitsFor } from "./limits.ts";

/** The counts in a Map: the ledger's arithmetic without the Durable Object around it. */
function mapStore(): CountStore & { rows: Map<string, WindowCount> } {
  const rows = new Map<string, WindowCount>();
  const key = (period: string, start: number, scope: string) => `${period}|${start}|${scope}`;
  return {
    rows,
    read: (period, start, scope) => ({ ...(rows.get(key(period, start, scope)) ?? { used: 0, refused: 0 }) }),
    add(period, start, scope, delta) {
      const row = rows.get(key(period, start, scope)) ?? { used: 0, refused: 0 };
      rows.set(key(period, start, scope), {
        used: row.used + delta.used,
        refused: row.refused + delta.refused,
      });
    },
  };
}

const NO_LIMITS = { perHour: null, perDay: null, perClientPerHour: null, perClientPerDay: null };
const T0 = Date.UTC(2026, 11, 3, 12, 59, 30);
const ask = (count: number, extra: Partial<Reservation> = {}): Reservation => ({
  count,
  limits: { ...NO_LIMITS, perHour: 5 },
  now: T0,
  ...extra,
});

describe("budget ledger", () => {
  it("aligns windows to the UTC hour and day", () => {
    expect(windowAt("hour", T0)).toEqual({
      start: Date.UTC(2026, 11, 3, 12),
      end: Date.UTC(2026, 11, 3, 13),
    });
    expect(windowAt("day", T0)).toEqual({ start: Date.UTC(2026, 11, 3), end: Date.UTC(2026, 11, 4) });
  });

  it("grants a batch whole while it fits, refuses it whole when it does not, and never books past the limit", () => {
    const store = mapStore();
    expect(reserve(store, ask(3)).granted).toBe(true);
    const refused = reserve(store, ask(3));
    expect(refused).toMatchObject({ granted: false, exhausted: ["hour"], retryAfterS: 30 });
    expect(refused.usage.hour).toMatchObject({ used: 3, refused: 3, limit: 5 });
    expect(reserve(store, ask(2)).granted).toBe(true);
    expect(reserve(store, ask(1)).granted).toBe(false);
    // The next hour starts from zero.
    expect(reserve(store, ask(5, { now: T0 + 30_000 })).granted).toBe(true);
  });

  it("checks a client's share beside the model's total, and the day beside the hour", () => {
    const store = mapStore();
    const limits = { perHour: null, perDay: 4, perClientPerHour: 2, perClientPerDay: null };
    const as = (client: string, count = 1) => reserve(store, { count, limits, now: T0, client });
    expect(as("a", 2).granted).toBe(true);
    expect(as("a")).toMatchObject({ granted: false, exhausted: ["hour"], retryAfterS: 30 });
    expect(as("b", 2).granted).toBe(true);
    const spent = as("c");
    expect(spent).toMatchObject({ granted: false, exhausted: ["day"] });
    expect(spent.retryAfterS).toBe((Date.UTC(2026, 11, 4) - T0) / 1000);
    expect(spent.usage.day).toMatchObject({ used: 4, refused: 2, limit: 4 });
  });

  it("a count of zero asks nothing and books nothing", () => {
    const store = mapStore();
    expect(reserve(store, ask(0, { limits: { ...NO_LIMITS, perHour: 0 } })).granted).toBe(true);
    expect(store.rows.size).toBe(0);
  });

  it("a definition's limit overrides the default, null lifts it, absent keeps it", () => {
    const defaults = { perHour: 10, perDay: 100, perClientPerHour: 1, perClientPerDay: null };
    expect(limitsFor({ perHour: 3, perDay: null }, defaults)).toEqual({
      perHour: 3,
      perDay: null,
      perClientPerHour: 1,
      perClientPerDay: null,
    });
    expect(limitsFor(undefined, defaults)).toEqual(defaults);
  });
});
