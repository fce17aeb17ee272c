import { describe, expect, it } from "vitest";
import type { LoopStep } from "./log.ts";
import type { RoundOptions, RoundOutcome } from "./round.ts";
import { runLoop } from "./run.ts";

/** The schedule around rounds: a round stands in for runRound, which the end-to-end test runs for real. */
const options = { distill: { name: "m" } } as RoundOptions;

describe("runLoop", () => {
  it("--once: one round, its outcome returned and its error thrown", async () => {
    const outcome: RoundOutcome = { kind: "too_few", newRecords: 3, since: null };
    let rounds = 0;
    const round = async () => {
      rounds++;
      return outcome;
    };
    await expect(runLoop(options, { once: true, everyMs: 10 }, () => {}, round)).resolves.toBe(outcome);
    expect(rounds).toBe(1);
    const failing = async (): Promise<RoundOutcome> => {
      throw new Error("gateway down");
    };
    await expect(runLoop(options, { once: true, everyMs: 10 }, () => {}, failing)).rejects.toThrow(
      "gateway down",
    );
  });

  it("continuous: a failed round is logged and the next comes on schedule, until stopped", async () => {
    const stop = new AbortController();
    const steps: [LoopStep, string][] = [];
    const starts: number[] = [];
    const round = async (): Promise<RoundOutcome> => {
      starts.push(performance.now());
      if (starts.length === 1) throw new Error("gateway down");
      if (starts.length === 3) stop.abort();
      return { kind: "busy", holder: "x" };
    };
    const result = await runLoop(
      options,
      { once: false, everyMs: 40, signal: stop.signal },
      (step, message) => steps.push([step, message]),
      round,
    );
    expect(result).toBeNull();
    expect(starts).toHaveLength(3);
    expect(steps.filter(([step]) => step === "error")).toEqual([["error", "gateway down"]]);
    expect(steps.filter(([step]) => step === "sleep")).toHaveLength(3);
    // Rounds start a period apart, not back to back (timers may fire a little early or late).
    for (let i = 1; i < starts.length; i++) expect(starts[i]! - starts[i - 1]!).toBeGreaterThanOrEqual(30);
  });
});
