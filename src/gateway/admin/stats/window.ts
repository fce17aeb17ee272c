import { hourOf } from "../../metrics/usage.ts";

/**
 * The time window of the statistics: whole UTC hours, the last one the hour `until` falls in. Usage is
 * counted per hour (usage_counts.hour), so the window starts on an hour; hard examples carry their
 * instant and are counted from `since` up to `until` itself.
 */
export interface StatsWindow {
  /** Start of the first hour, ISO 8601. */
  since: string;
  /** The end, ISO 8601. */
  until: string;
  /** Every hour of the window, oldest first, as usage_counts stores them (2026-11-29T11). */
  hours: string[];
}

const HOUR_MS = 3_600_000;

/** The hour as usage_counts and substr(hard_examples.ts, 1, 13) write it. */

export function statsWindow(until: Date, hours: number): StatsWindow {
  const first = (Math.floor(until.getTime() / HOUR_MS) - (hours - 1)) * HOUR_MS;
  return {
    since: new Date(first).toISOString(),
    until: until.toISOString(),
    hours: Array.from({ length: hours }, (_, i) => hourOf(first + i * HOUR_MS)),
  };
}
