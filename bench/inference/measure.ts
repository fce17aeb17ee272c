/**
 * The timing scheme of `npm run bench:inference`, runtime-neutral so that Node and the bench Worker in
 * workerd time every engine with the very same code. workerd's clock ticks in whole milliseconds, so a
 * single call (tens of µs) cannot be timed: we time batches of many sequential calls and divide.
 */
import { createScratch, type EmbeddingBagWeights, forwardLogits } from "../../src/core/model.ts";

/** Logits for some bags of feature ids, one row per bag (one model call). */
export type Engine = (bags: readonly Int32Array[]) => Float32Array[] | Promise<Float32Array[]>;

/** One call of a series; `c` counts the calls of one timing request from 0. */
export type Call = (c: number) => unknown;

export type Clock = () => number;

/** How a series was timed: `batches` batches of `calls` sequential calls of `size` items each. */
export interface SeriesPlan {
  batches: number;
  calls: number;
  size: number;
}

/** What a timed series returns: the wall time of each batch (at the clock's own resolution). */
export interface SeriesTimes {
  plan: SeriesPlan;
  batchMs: number[];
}

/** One timing request: `batches` batches of `calls` calls; with `minBatchMs`, `calls` is calibrated first. */
export interface SeriesRequest {
  batches: number;
  calls: number;
  minBatchMs: number | null;
}

/** The item indices of call `c`: `size` consecutive ones, wrapping at `n`. */
export function callItems(c: number, size: number, n: number): number[] {
  if (n <= 0) throw new Error("callItems: no items");
  return Array.from({ length: size }, (_, k) => (c * size + k) % n);
}

/** `count` groups of `size` consecutive (wrapping) elements of `items`, built before any timing. */
export function groupsOf<T>(items: readonly T[], size: number, count: number): T[][] {
  return Array.from({ length: count }, (_, c) => callItems(c, size, items.length).map((i) => items[i]!));
}

/**
 * Times `batches` batches of `calls` calls of `call(c)`, c counting on across batches. A call that
 * returns a promise is awaited; a synchronous one is not, so a fast TypeScript call pays no microtask.
 */
export async function timeBatches(
  plan: { batches: number; calls: number },
  call: Call,
  clock: Clock,
): Promise<number[]> {
  const batchMs: number[] = [];
  let c = 0;
  for (let b = 0; b < plan.batches; b++) {
    const start = clock();
    for (let i = 0; i < plan.calls; i++, c++) {
      const result = call(c);
      if (result instanceof Promise) await result;
    }
    batchMs.push(clock() - start);
  }
  return batchMs;
}

/**
 * The calls per batch for a series: `calls`, doubled until one batch takes at least `minBatchMs`, so
 * that a 1 ms clock tick is a small part of every batch. A first batch warms the code up (JIT tiers,
 * caches) so that a slow cold batch cannot end the calibration early; none of these batches is recorded.
 */
export async function calibrateCalls(
  calls: number,
  minBatchMs: number,
  call: Call,
  clock: Clock,
  maxCalls = 1 << 20,
): Promise<number> {
  await timeBatches({ batches: 1, calls }, call, clock);
  let n = calls;
  for (;;) {
    const [ms = 0] = await timeBatches({ batches: 1, calls: n }, call, clock);
    if (ms >= minBatchMs || n * 2 > maxCalls) return n;
    n *= 2;
  }
}

/** Times one request of a series: calibrated when it asks, otherwise after one untimed warm-up batch. */
export async function timeSeries(call: Call, size: number, request: SeriesRequest, clock: Clock) {
  let { calls } = request;
  if (request.minBatchMs === null) await timeBatches({ batches: 1, calls }, call, clock);
  else calls = await calibrateCalls(calls, request.minBatchMs, call, clock);
  const plan = { batches: request.batches, calls, size };
  return { plan, batchMs: await timeBatches(plan, call, clock) } satisfies SeriesTimes;
}

/** Calls of `engine` with `size` bags each, cycling through every bag. */
export function engineCall(engine: Engine, bags: readonly Int32Array[], size: number): Call {
  const groups = groupsOf(bags, size, Math.max(1, Math.ceil(bags.length / size)));
  return (c) => engine(groups[c % groups.length]!);
}

/** Calls of `featurize`, one text each, cycling through every text. */
export function featurizeCall(featurize: (text: string) => Int32Array, texts: readonly string[]): Call {
  return (c) => featurize(texts[c % texts.length]!);
}

/** Runs one timing request of a series, wherever the series runs (in this process or in workerd). */
export type Runner = (request: SeriesRequest) => Promise<SeriesTimes>;

/** The batches of each round: `batches` spread over `rounds` as evenly as possible. */
export function roundSizes(batches: number, rounds: number): number[] {
  if (rounds < 1 || batches < rounds)
    throw new Error(`cannot spread ${batches} batches over ${rounds} rounds`);
  return Array.from(
    { length: rounds },
    (_, r) => Math.floor(batches / rounds) + (r < batches % rounds ? 1 : 0),
  );
}

/**
 * Times every series in rounds, a few batches of each series per round in turn, so that a change of
 * load on a shared machine during the run hits all of them alike and their ratios stay fair. The first
 * round calibrates each series' calls per batch; later rounds reuse it.
 */
export async function interleave<K extends string>(
  runners: Readonly<Record<K, Runner>>,
  plan: { batches: number; rounds: number; calls: number; minBatchMs: number },
  onRound: (round: number) => void = () => {},
): Promise<Record<K, SeriesTimes>> {
  const keys = Object.keys(runners) as K[];
  const out = {} as Record<K, SeriesTimes>;
  for (const [round, batches] of roundSizes(plan.batches, plan.rounds).entries()) {
    onRound(round);
    for (const key of keys) {
      const done = out[key];
      const request = done
        ? { batches, calls: done.plan.calls, minBatchMs: null }
        : { batches, calls: plan.calls, minBatchMs: plan.minBatchMs };
      const times = await runners[key](request);
      out[key] = done
        ? {
            plan: { ...done.plan, batches: done.plan.batches + batches },
            batchMs: [...done.batchMs, ...times.batchMs],
          }
        : times;
    }
  }
  return out;
}

/** Every bag's output row, calling the engine with `size` bags at a time; row-major [bags × classes]. */
export async function engineLogits(
  engine: Engine,
  bags: readonly Int32Array[],
  size: number,
  classes: number,
): Promise<Float32Array> {
  const out = new Float32Array(bags.length * classes);
  for (let start = 0; start < bags.length; start += size) {
    const rows = await engine(bags.slice(start, start + size));
    rows.forEach((row, r) => {
      if (row.length !== classes)
        throw new Error(`engine returned ${row.length} values, expected ${classes}`);
      out.set(row, (start + r) * classes);
    });
  }
  return out;
}

/** The TypeScript forward pass (core/model.ts) as an engine: one bag after another, scratch reused. */
export function tsEngine(weights: EmbeddingBagWeights): Engine {
  const scratch = createScratch(weights);
  return (bags) =>
    bags.map((bag) => {
      const logits = new Float32Array(weights.classes);
      forwardLogits(weights, bag, logits, scratch);
      return logits;
    });
}
