/**
 * Pure maths of `npm run bench:inference`: per-call figures from timed batches, and whether two runtimes
 * gave the same outputs.
 */
import { z } from "zod";
import { argmax } from "../../src/core/softmax.ts";
import type { SeriesTimes } from "./measure.ts";

/** Quantile `q` of ascending `sorted` values, linear between the two nearest ranks. */
export function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) throw new Error("quantile of no values");
  const at = (sorted.length - 1) * q;
  const lo = Math.floor(at);
  const hi = Math.ceil(at);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (at - lo);
}

const Spread = z.object({ median: z.number(), p90: z.number() }).strict();

export const SeriesSummary = z
  .object({
    batches: z.number().int(),
    callsPerBatch: z.number().int(),
    /** Items (texts) per call: 1 for single-text calls. */
    size: z.number().int(),
    /** Over batches: each batch's time ÷ its calls. */
    perCallUs: Spread,
    /** perCallUs ÷ size. */
    perItemUs: Spread,
    /** The raw batch times, as the runtime's clock gave them. */
    batchMs: z.array(z.number()),
  })
  .strict();
export type SeriesSummary = z.infer<typeof SeriesSummary>;

/** Median and p90 over batches of the time per call and per item, in µs. */
export function summarise(times: SeriesTimes): SeriesSummary {
  const { batches, calls, size } = times.plan;
  if (times.batchMs.length !== batches) throw new Error(`expected ${batches} batch times`);
  const perCall = times.batchMs.map((ms) => (ms * 1000) / calls).sort((a, b) => a - b);
  const median = quantile(perCall, 0.5);
  const p90 = quantile(perCall, 0.9);
  return {
    batches,
    callsPerBatch: calls,
    size,
    perCallUs: { median, p90 },
    perItemUs: { median: median / size, p90: p90 / size },
    batchMs: times.batchMs,
  };
}

export const Agreement = z
  .object({
    rows: z.number().int(),
    /** Rows whose arg-max class differs from the reference's. */
    argmaxMismatches: z.number().int(),
    maxAbsDiff: z.number(),
  })
  .strict();
export type Agreement = z.infer<typeof Agreement>;

/** Row by row: does `other` pick the reference's class, and how far apart are the logits at worst? */
export function compareLogits(reference: Float32Array, other: Float32Array, classes: number): Agreement {
  if (reference.length !== other.length || reference.length % classes !== 0)
    throw new Error(`cannot compare ${other.length} logits with ${reference.length} (${classes} classes)`);
  const rows = reference.length / classes;
  let argmaxMismatches = 0;
  let maxAbsDiff = 0;
  for (let r = 0; r < rows; r++) {
    const a = reference.subarray(r * classes, (r + 1) * classes);
    const b = other.subarray(r * classes, (r + 1) * classes);
    if (argmax(a) !== argmax(b)) argmaxMismatches++;
    for (let k = 0; k < classes; k++) {
      const diff = Math.abs(a[k]! - b[k]!);
      // NaN never compares greater, so it is caught here explicitly.
      if (!(diff <= maxAbsDiff)) maxAbsDiff = Number.isNaN(diff) ? Number.POSITIVE_INFINITY : diff;
    }
  }
  return { rows, argmaxMismatches, maxAbsDiff };
}

/**
 * Whether the Worker's clock kept time over `requests` requests: it cannot have seen more than the
 * driver's wall clock around them (a tick per request and 1% of slack), and it must have seen at least
 * half of it, since the requests are mostly timed work (the rest is the HTTP hop and parsing). A clock
 * frozen between I/O, as in production workerd, fails the second test.
 */
export function clockKeptTime(workerMs: number, wallMs: number, requests = 1): boolean {
  return workerMs <= wallMs * 1.01 + requests && workerMs >= wallMs * 0.5;
}

/** Same answers everywhere and logits within `tolerance` (strictly). */
export function agrees(a: Agreement, tolerance: number): boolean {
  return a.argmaxMismatches === 0 && a.maxAbsDiff < tolerance;
}
