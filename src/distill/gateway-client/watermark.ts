import { z } from "zod";
import type { HardExampleRecord } from "../../core/hard-example.ts";

/**
 * The data watermark of a re-distilled student: the time of the newest hard-example record it learnt
 * from, kept in its manifest as `training.hardExamples.newestRecordAt`. `npm run loop` counts the records
 * logged after it to decide whether a new round is worth training.
 */
export function newestRecordAt(records: readonly HardExampleRecord[]): string | null {
  let newest: string | null = null;
  // ISO 8601 instants in UTC with the same precision: their order is their strings' order.
  for (const r of records) if (newest === null || r.ts > newest) newest = r.ts;
  return newest;
}

const Trained = z.object({
  training: z.object({ hardExamples: z.object({ newestRecordAt: z.iso.datetime().nullable() }) }),
});

/** The watermark a manifest records, or null (a student not distilled from a gateway, or before it was kept). */
export function watermarkOf(manifest: unknown): string | null {
  const parsed = Trained.safeParse(manifest);
  return parsed.success ? parsed.data.training.hardExamples.newestRecordAt : null;
}
