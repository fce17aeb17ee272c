import { setTimeout as sleep } from "node:timers/promises";
import { formatDuration } from "./duration.ts";
import type { LoopLog } from "./log.ts";
import { type RoundOptions, type RoundOutcome, runRound } from "./round.ts";

export interface Schedule {
  /** One round, then exit. */
  once: boolean;
  /** Between the start of one round and the next. */
  everyMs: number;
}

/**
 * `npm run loop`: rounds until killed, or one with --once. A failed round (the gateway down, a
 * distillation error) ends a --once run with the error; in the continuous loop it is logged and the
 * next round comes on schedule.
 */
export async function runLoop(
  options: RoundOptions,
  schedule: Schedule,
  log: LoopLog,
): Promise<RoundOutcome | null> {
  for (;;) {
    const started = Date.now();
    if (schedule.once) return runRound(options, log);
    try {
      await runRound(options, log);
    } catch (error) {
      log("error", (error as Error).message);
    }
    const wait = Math.max(0, schedule.everyMs - (Date.now() - started));
    log("sleep", `next round in ${formatDuration(Math.max(1000, Math.round(wait / 1000) * 1000))}`);
    await sleep(wait);
  }
}
