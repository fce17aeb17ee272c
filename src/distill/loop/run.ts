import { setTimeout as sleep } from "node:timers/promises";
import { formatDuration } from "./duration.ts";
import type { LoopLog } from "./log.ts";
import { type RoundOptions, type RoundOutcome, runRound } from "./round.ts";

export interface Schedule {
  /** One round, then exit. */
  once: boolean;
  /** Between the start of one round and the next. */
  everyMs: number;
  /** Ends the continuous loop between rounds (a test; a person stops it with Ctrl-C). */
  signal?: AbortSignal;
}

type Round = (options: RoundOptions, log: LoopLog) => Promise<RoundOutcome>;

/**
 * `npm run loop`: rounds until stopped, or one with --once. A failed round (the gateway down, a
 * distillation error) ends a --once run with the error; in the continuous loop it is logged and the
 * next round comes on schedule. Returns the --once round's outcome, null when the loop was stopped.
 */
export async function runLoop(
  options: RoundOptions,
  schedule: Schedule,
  log: LoopLog,
  round: Round = runRound,
): Promise<RoundOutcome | null> {
  if (schedule.once) return round(options, log);
  while (!schedule.signal?.aborted) {
    const started = Date.now();
    try {
      await round(options, log);
    } catch (error) {
      log("error", (error as Error).message);
    }
    const wait = Math.max(0, schedule.everyMs - (Date.now() - started));
    log("sleep", `next round in ${formatDuration(Math.max(1000, Math.round(wait / 1000) * 1000))}`);
    try {
      await sleep(wait, undefined, schedule.signal ? { signal: schedule.signal } : {});
    } catch {
      // aborted while asleep
    }
  }
  return null;
}
