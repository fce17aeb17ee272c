import { z } from "zod";
import type { HardExampleRecord, HardExampleRoute } from "../../src/core/hard-example.ts";
import type { Outcome } from "./tally.ts";

/**
 * Holds the hard-example log to what the clients saw: one record per escalated answer, with the route
 * its answer implies (teacher, cache, degraded), and nothing else. Records are matched by the unique tag
 * at the end of each text (texts.ts), which redaction never touches.
 */
export const LogCheck = z.object({
  escalations: z.number().int(),
  /** Rows the D1 index holds for the model (the export's x-hard-examples-indexed header). */
  indexed: z.number().int().nullable(),
  /** Records the export returned (read from R2). */
  records: z.number().int(),
  /** Escalated texts with no record, records of texts never escalated, texts with more than one record. */
  missing: z.number().int(),
  unexpected: z.number().int(),
  duplicated: z.number().int(),
  /** Records whose route is not the one the answer implies. */
  wrongRoute: z.number().int(),
  byRoute: z.record(z.string(), z.number().int()),
  equal: z.boolean(),
  /** From the end of the load until the index count settled (or the wait gave up), seconds. */
  waitedS: z.number(),
});
export type LogCheck = z.infer<typeof LogCheck>;

function tagOf(text: string): string {
  return text.trim().split(/\s+/).at(-1) ?? "";
}

function expectedRoute(o: Extract<Outcome, { kind: "answer" }>): HardExampleRoute {
  return o.degraded ? "degraded" : o.source === "cache" ? "cache" : "teacher";
}

export function checkLog(
  outcomes: readonly Outcome[],
  records: readonly Pick<HardExampleRecord, "text" | "route">[],
  indexed: number | null,
  waitedS: number,
): LogCheck {
  const expected = new Map<string, HardExampleRoute>();
  for (const o of outcomes)
    if (o.kind === "answer" && o.escalated) expected.set(tagOf(o.text), expectedRoute(o));
  const seen = new Map<string, number>();
  const byRoute: Record<string, number> = {};
  let unexpected = 0;
  let wrongRoute = 0;
  for (const record of records) {
    const tag = tagOf(record.text);
    seen.set(tag, (seen.get(tag) ?? 0) + 1);
    byRoute[record.route] = (byRoute[record.route] ?? 0) + 1;
    const route = expected.get(tag);
    if (route === undefined) unexpected++;
    else if (route !== record.route) wrongRoute++;
  }
  const missing = [...expected.keys()].filter((tag) => !seen.has(tag)).length;
  const duplicated = [...seen.values()].filter((n) => n > 1).length;
  const escalations = expected.size;
  return {
    escalations,
    indexed,
    records: records.length,
    missing,
    unexpected,
    duplicated,
    wrongRoute,
    byRoute,
    equal:
      indexed === escalations &&
      records.length === escalations &&
      missing === 0 &&
      unexpected === 0 &&
      duplicated === 0 &&
      wrongRoute === 0,
    waitedS,
  };
}
