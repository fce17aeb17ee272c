/**
 * What the bench driver (Node) and the bench Worker (workerd) say to each other, validated by zod on
 * both sides of the HTTP hop.
 */
import { z } from "zod";
import { DEFAULT_MAX_TEXT_CHARS } from "../../src/core/text.ts";
import type { SeriesTimes } from "./measure.ts";

/** The engines the Worker runs: onnxruntime-web (the gateway's session) or the TypeScript forward pass. */
export const WorkerEngine = z.enum(["ort-web", "ts"]);
export type WorkerEngine = z.infer<typeof WorkerEngine>;

const Count = z.number().int().min(1);
// Texts the gateway would take (at its default length cap), in batches far larger than it would.
const Texts = z.array(z.string().max(DEFAULT_MAX_TEXT_CHARS)).min(1).max(20_000);
const Size = Count.max(1024);

/**
 * POST /time: one timing request of one series (see measure.ts timeSeries): the featuriser (size 1)
 * or an engine with `size` texts per call.
 */
export const TimeRequest = z
  .object({
    texts: Texts,
    target: z.union([z.literal("featurize"), WorkerEngine]),
    size: Size,
    batches: Count.max(1000),
    calls: Count.max(1 << 20),
    minBatchMs: z.number().min(0).max(10_000).nullable(),
  })
  .strict()
  .refine((r) => r.target !== "featurize" || r.size === 1, {
    message: "the featuriser takes one text per call (size 1)",
    path: ["size"],
  });
export type TimeRequest = z.infer<typeof TimeRequest>;

export const SeriesTimesSchema: z.ZodType<SeriesTimes> = z
  .object({
    plan: z.object({ batches: Count, calls: Count, size: Count }).strict(),
    batchMs: z.array(z.number().min(0)),
  })
  .strict();

export const TimeResponse = z
  .object({
    times: SeriesTimesSchema,
    /** The whole request by the Worker's own clock, for the driver to hold against its wall clock. */
    elapsedMs: z.number().min(0),
  })
  .strict();
export type TimeResponse = z.infer<typeof TimeResponse>;

/** POST /logits: every text's output row (float32, row-major) from one engine, `size` texts per call. */
export const LogitsRequest = z.object({ texts: Texts, engine: WorkerEngine, size: Size }).strict();
export type LogitsRequest = z.infer<typeof LogitsRequest>;
