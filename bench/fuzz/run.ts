import fc from "fast-check";
import { describeCase, type FuzzCase } from "./case.ts";
import { type Counts, count, type Problem, problemsOf, SEVERITY } from "./check.ts";
import type { Exec } from "./exec.ts";

/**
 * Runs the cases: `lanes` fast-check runners side by side (lane k seeded seed + k), each sending one
 * request at a time, so at most `lanes` requests are in flight. The lanes' properties never fail: every
 * case runs and is counted, and a failure is remembered with its lane and run index. Afterwards the
 * first failure of each kind is replayed from that path (fast-check's `path`) and shrunk to a minimal
 * case that still fails the same way.
 */
export interface Failure {
  endpoint: string;
  /** The worst problem of the answer, and the kinds of the others. */
  problem: Problem;
  also: Problem["kind"][];
  lane: number;
  run: number;
  case: FuzzCase;
}

export interface LaneRun {
  counts: Counts;
  cases: number;
  failures: Failure[];
}

export async function runLanes(
  arbitrary: fc.Arbitrary<FuzzCase>,
  options: { seed: number; cases: number; lanes: number; exec: Exec; onProgress?: (done: number) => void },
): Promise<LaneRun> {
  const counts: Counts = {};
  const failures: Failure[] = [];
  let done = 0;
  const lane = async (k: number) => {
    const numRuns = Math.floor(options.cases / options.lanes) + (k < options.cases % options.lanes ? 1 : 0);
    if (numRuns === 0) return;
    let run = 0;
    await fc.check(
      fc.asyncProperty(arbitrary, async (c) => {
        const observed = await options.exec(c);
        count(counts, c.endpoint, observed.status);
        // One failure per case, named by its worst problem (a 5xx page also fails the body checks).
        const [worst, ...rest] = problemsOf(observed);
        if (worst)
          failures.push({
            endpoint: c.endpoint,
            problem: worst,
            also: rest.map((p) => p.kind),
            lane: k,
            run,
            case: c,
          });
        run++;
        done++;
        if (done % 1000 === 0) options.onProgress?.(done);
        return true;
      }),
      { seed: options.seed + k, numRuns },
    );
  };
  await Promise.all(Array.from({ length: options.lanes }, (_, k) => lane(k)));
  return { counts, cases: done, failures };
}

/** One failure of each (endpoint, kind), the worst kinds first, else in the order met. */
export function firstOfEachKind(failures: readonly Failure[]): Failure[] {
  const seen = new Set<string>();
  const bySeverity = [...failures].sort(
    (a, b) => SEVERITY.indexOf(a.problem.kind) - SEVERITY.indexOf(b.problem.kind),
  );
  return bySeverity.filter((f) => {
    const key = `${f.endpoint}\u0000${f.problem.kind}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

export interface Shrunk {
  endpoint: string;
  kind: Problem["kind"];
  /** How often this kind of failure occurred on this endpoint in the run. */
  occurrences: number;
  original: FuzzCase;
  minimal: FuzzCase;
  detail: string;
  shrinks: number;
  /** Whether the case, replayed alone, failed the same way (if not, something else in flight caused it). */
  reproduced: boolean;
}

/** Replays a failure from its lane and run index and shrinks it, keeping the same endpoint and kind. */
export async function shrink(
  arbitrary: fc.Arbitrary<FuzzCase>,
  failure: Failure,
  options: { seed: number; exec: Exec; timeLimitMs: number; occurrences: number },
): Promise<Shrunk> {
  const same = async (c: FuzzCase) => {
    if (c.endpoint !== failure.endpoint) return null;
    return problemsOf(await options.exec(c)).find((p) => p.kind === failure.problem.kind) ?? null;
  };
  const details = await fc.check(
    fc.asyncProperty(arbitrary, async (c) => (await same(c)) === null),
    {
      seed: options.seed + failure.lane,
      path: String(failure.run),
      interruptAfterTimeLimit: options.timeLimitMs,
    },
  );
  const minimal = details.counterexample?.[0] ?? failure.case;
  const problem = (await same(minimal)) ?? failure.problem;
  return {
    endpoint: failure.endpoint,
    kind: failure.problem.kind,
    occurrences: options.occurrences,
    original: describeCase(failure.case),
    minimal: describeCase(minimal),
    detail: problem.detail,
    shrinks: details.numShrinks,
    reproduced: details.failed,
  };
}
