import { describe, expect, it } from "vitest";
import {
  calibrateCalls,
  callItems,
  type Engine,
  engineCall,
  engineLogits,
  featurizeCall,
  groupsOf,
  interleave,
  type Runner,
  roundSizes,
  timeBatches,
  timeSeries,
  tsEngine,
} from "../../bench/inference/measure.ts";
import { agrees, clockKeptTime, compareLogits, quantile, summarise } from "../../bench/inference/stats.ts";
import type { EmbeddingBagWeights } from "../../src/core/model.ts";

/**
 * A clock that only moves when a call says so: each call "costs" what `cost(c, made)` returns, in ms
 * (c: the call's number within its series; made: the calls made before it, over every series).
 */
function virtualTime(cost: (c: number, made: number) => number) {
  let now = 0;
  const seen: number[] = [];
  const call = (c: number): void => {
    now += cost(c, seen.length);
    seen.push(c);
  };
  return { clock: () => now, call, seen };
}

describe("bench:inference timing scheme", () => {
  it("numbers the calls across batches and reports each batch's clock time", async () => {
    const t = virtualTime((c) => c + 1);
    const batchMs = await timeBatches({ batches: 3, calls: 2 }, t.call, t.clock);
    expect(t.seen).toEqual([0, 1, 2, 3, 4, 5]);
    expect(batchMs).toEqual([1 + 2, 3 + 4, 5 + 6]);
  });

  it("awaits a call that returns a promise before the next starts", async () => {
    let running = 0;
    let most = 0;
    const call = async () => {
      most = Math.max(most, ++running);
      await new Promise((r) => setTimeout(r, 0));
      running--;
    };
    await timeBatches({ batches: 2, calls: 5 }, call, () => 0);
    expect(most).toBe(1);
  });

  it("doubles the calls per batch until a batch reaches the minimum, after a warm-up batch", async () => {
    // The very first call is slow (a cold start): it must not end the calibration at the floor.
    const t = virtualTime((_, made) => (made === 0 ? 10_000 : 1));
    const calls = await calibrateCalls(200, 1000, t.call, t.clock);
    expect(calls).toBe(1600); // 200 → 400 → 800 → 1600 calls of 1 ms
    expect(t.seen).toHaveLength(200 + 200 + 400 + 800 + 1600);
    const noop = () => undefined;
    const frozen = () => 0;
    expect(await calibrateCalls(200, 0, noop, frozen)).toBe(200);
    expect(await calibrateCalls(200, 1e9, noop, frozen, 1000)).toBe(800); // capped
  });

  it("times a series after a warm-up batch, or calibrates it first when asked", async () => {
    const t = virtualTime(() => 2);
    const fixed = await timeSeries(t.call, 4, { batches: 3, calls: 10, minBatchMs: null }, t.clock);
    expect(fixed).toEqual({ plan: { batches: 3, calls: 10, size: 4 }, batchMs: [20, 20, 20] });
    expect(t.seen).toHaveLength(10 + 3 * 10);
    const calibrated = await timeSeries(t.call, 1, { batches: 2, calls: 10, minBatchMs: 35 }, t.clock);
    expect(calibrated).toEqual({ plan: { batches: 2, calls: 20, size: 1 }, batchMs: [40, 40] });
  });

  it("walks the items in order, wrapping at the end", () => {
    expect(callItems(0, 3, 7)).toEqual([0, 1, 2]);
    expect(callItems(2, 3, 7)).toEqual([6, 0, 1]);
    expect(groupsOf(["a", "b", "c"], 2, 3)).toEqual([
      ["a", "b"],
      ["c", "a"],
      ["b", "c"],
    ]);
    expect(() => callItems(0, 1, 0)).toThrow(/no items/);
  });

  it("calls an engine with `size` bags each time, cycling through all of them", async () => {
    const bags = Array.from({ length: 5 }, (_, i) => Int32Array.of(i));
    const groups: number[][] = [];
    const engine: Engine = (group) => {
      groups.push(group.map((bag) => bag[0]!));
      return group.map(() => new Float32Array(2));
    };
    const call = engineCall(engine, bags, 2);
    for (let c = 0; c < 4; c++) await call(c);
    expect(groups).toEqual([
      [0, 1],
      [2, 3],
      [4, 0],
      [0, 1],
    ]);
    const featurized: string[] = [];
    const feat = featurizeCall(
      (t) => {
        featurized.push(t);
        return Int32Array.of();
      },
      ["x", "y"],
    );
    for (let c = 0; c < 3; c++) feat(c);
    expect(featurized).toEqual(["x", "y", "x"]);
  });

  it("spreads the batches over rounds as evenly as possible", () => {
    expect(roundSizes(30, 6)).toEqual([5, 5, 5, 5, 5, 5]);
    expect(roundSizes(7, 3)).toEqual([3, 2, 2]);
    expect(() => roundSizes(2, 3)).toThrow(/cannot spread/);
    expect(() => roundSizes(2, 0)).toThrow(/cannot spread/);
  });

  it("interleaves the series round by round, calibrating each in the first round only", async () => {
    const log: string[] = [];
    const runner =
      (name: string, calibrated: number): Runner =>
      async (request) => {
        log.push(`${name} ${request.batches}×${request.calls} ${request.minBatchMs}`);
        const calls = request.minBatchMs === null ? request.calls : calibrated;
        return {
          plan: { batches: request.batches, calls, size: 1 },
          batchMs: Array.from({ length: request.batches }, () => log.length),
        };
      };
    const rounds: number[] = [];
    const out = await interleave(
      { a: runner("a", 800), b: runner("b", 400) },
      { batches: 5, rounds: 2, calls: 200, minBatchMs: 50 },
      (r) => rounds.push(r),
    );
    expect(rounds).toEqual([0, 1]);
    expect(log).toEqual(["a 3×200 50", "b 3×200 50", "a 2×800 null", "b 2×400 null"]);
    expect(out.a).toEqual({ plan: { batches: 5, calls: 800, size: 1 }, batchMs: [1, 1, 1, 3, 3] });
    expect(out.b).toEqual({ plan: { batches: 5, calls: 400, size: 1 }, batchMs: [2, 2, 2, 4, 4] });
  });
});

/** 3 buckets × 2 dims → 2 classes, no hidden layer: logits = mean(E[ids]) · W + b. */
const tiny: EmbeddingBagWeights = {
  buckets: 3,
  dim: 2,
  hidden: 0,
  classes: 2,
  embedding: Float32Array.of(1, 0, 0, 1, 2, 2),
  hiddenWeight: null,
  hiddenBias: null,
  outWeight: Float32Array.of(1, 0, 0, 1),
  outBias: Float32Array.of(0, 0.5),
};

describe("bench:inference engines", () => {
  it("the TypeScript engine gives one row of logits per bag", async () => {
    const rows = await tsEngine(tiny)([Int32Array.of(0), Int32Array.of(1, 2), Int32Array.of()]);
    expect(rows.map((r) => Array.from(r))).toEqual([
      [1, 0.5],
      [1, 2],
      [0, 0.5],
    ]);
  });

  it("collects every bag's row in order whatever the call size, the last call short", async () => {
    const bags = [0, 1, 2, 0, 2].map((id) => Int32Array.of(id));
    const single = await engineLogits(tsEngine(tiny), bags, 1, 2);
    const batched = await engineLogits(tsEngine(tiny), bags, 2, 2);
    expect(Array.from(single)).toEqual([1, 0.5, 0, 1.5, 2, 2.5, 1, 0.5, 2, 2.5]);
    expect(batched).toEqual(single);
  });

  it("rejects an engine whose rows have the wrong width", async () => {
    const wrong: Engine = (group) => group.map(() => new Float32Array(3));
    await expect(engineLogits(wrong, [Int32Array.of(0)], 1, 2)).rejects.toThrow(/3 values, expected 2/);
  });
});

describe("bench:inference statistics", () => {
  it("quantiles interpolate between ranks", () => {
    expect(quantile([1, 2, 3], 0.5)).toBe(2);
    expect(quantile([1, 2, 3, 4], 0.5)).toBe(2.5);
    expect(quantile([10, 20], 0.9)).toBeCloseTo(19, 10);
    expect(quantile([7], 0.9)).toBe(7);
    expect(() => quantile([], 0.5)).toThrow();
  });

  it("summarises batches as µs per call and per item, median and p90 over batches", () => {
    const s = summarise({ plan: { batches: 3, calls: 100, size: 4 }, batchMs: [30, 10, 20] });
    expect(s.perCallUs.median).toBeCloseTo(200, 10); // 20 ms / 100 calls
    expect(s.perCallUs.p90).toBeCloseTo(280, 10);
    expect(s.perItemUs.median).toBeCloseTo(50, 10);
    expect(s.perItemUs.p90).toBeCloseTo(70, 10);
    expect(s.batchMs).toEqual([30, 10, 20]);
    expect(() => summarise({ plan: { batches: 2, calls: 1, size: 1 }, batchMs: [1] })).toThrow();
  });

  it("compares logits row by row: arg-max mismatches and the largest difference", () => {
    const ref = Float32Array.of(1, 2, 3, 0, 5, 5.5);
    expect(compareLogits(ref, ref.slice(), 2)).toEqual({ rows: 3, argmaxMismatches: 0, maxAbsDiff: 0 });
    const off = Float32Array.of(1, 2.00005, 3, 0, 5, 5.5);
    const a = compareLogits(ref, off, 2);
    expect(a.argmaxMismatches).toBe(0);
    expect(a.maxAbsDiff).toBeCloseTo(0.00005, 6);
    expect(agrees(a, 1e-4)).toBe(true);
    expect(agrees(a, 1e-5)).toBe(false);
    const flipped = compareLogits(ref, Float32Array.of(1, 2, 3, 0, 5.6, 5.5), 2);
    expect(flipped.argmaxMismatches).toBe(1);
    expect(agrees(flipped, 1)).toBe(false);
    const nan = compareLogits(ref, Float32Array.of(1, 2, Number.NaN, 0, 5, 5.5), 2);
    expect(nan.maxAbsDiff).toBe(Number.POSITIVE_INFINITY);
    expect(agrees(nan, 1e-4)).toBe(false);
    expect(() => compareLogits(ref, ref.subarray(2), 2)).toThrow(/cannot compare/);
  });

  it("accepts workerd's clock only when it saw at least half, and no more, of the requests", () => {
    expect(clockKeptTime(9_950, 10_000)).toBe(true);
    expect(clockKeptTime(6_000, 10_000)).toBe(true); // the rest was the HTTP hop
    expect(clockKeptTime(10_050, 10_000)).toBe(true); // a tick and 1% of slack
    expect(clockKeptTime(10_120, 10_000, 30)).toBe(true); // a tick per request
    expect(clockKeptTime(10_200, 10_000, 30)).toBe(false);
    expect(clockKeptTime(11_000, 10_000)).toBe(false); // faster than the wall clock
    expect(clockKeptTime(0, 10_000)).toBe(false); // frozen, as in production between I/O
    expect(clockKeptTime(4_000, 10_000)).toBe(false);
  });
});
