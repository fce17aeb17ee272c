import type { AnsweredBatch } from "./events.ts";
import {
  MAX_USAGE_ROWS,
  scoreBin,
  USAGE_KIND,
  type UsageCount,
  type UsageMessage,
  type UsageScore,
} from "./usage-schema.ts";

/**
 * An isolate's answer counts since its last flush, keyed as the D1 rows are: (hour, model, version,
 * endpoint, source) and (hour, model, version, bin). Draining empties it; a failed send merges the
 * rows back, so nothing counted is lost.
 */
type Row = UsageCount | UsageScore;
const countKey = (r: UsageCount) => JSON.stringify([r.hour, r.model, r.version, r.endpoint, r.source]);
const scoreKey = (r: UsageScore) => JSON.stringify([r.hour, r.model, r.version, r.bin]);

function add<R extends Row>(rows: Map<string, R>, key: string, row: R): void {
  const found = rows.get(key);
  if (found) found.n += row.n;
  else rows.set(key, { ...row });
}

export interface UsageRows {
  counts: UsageCount[];
  scores: UsageScore[];
}

export class UsageBuffer {
  private counts = new Map<string, UsageCount>();
  private scores = new Map<string, UsageScore>();

  get empty(): boolean {
    return this.counts.size === 0 && this.scores.size === 0;
  }

  /** One answer per text, in the UTC hour of `at`. */
  add(batch: AnsweredBatch, at: Date): void {
    const hour = at.toISOString().slice(0, 13);
    const { model, version, endpoint } = batch;
    for (const answer of batch.answers) {
      const count: UsageCount = { hour, model, version, endpoint, source: answer.source, n: 1 };
      add(this.counts, countKey(count), count);
      const score: UsageScore = { hour, model, version, bin: scoreBin(answer.score), n: 1 };
      add(this.scores, scoreKey(score), score);
    }
  }

  merge(rows: UsageRows): void {
    for (const r of rows.counts) add(this.counts, countKey(r), r);
    for (const r of rows.scores) add(this.scores, scoreKey(r), r);
  }

  drain(): UsageRows {
    const rows = { counts: [...this.counts.values()], scores: [...this.scores.values()] };
    this.counts = new Map();
    this.scores = new Map();
    return rows;
  }
}

/**
 * The drained rows as messages: one, unless they exceed MAX_USAGE_ROWS (many models and versions in one
 * window), then as many as needed, each with its own flush id.
 */
export function usageMessages(rows: UsageRows, newId: () => string): UsageMessage[] {
  const tagged = [
    ...rows.counts.map((row) => ({ table: "counts" as const, row })),
    ...rows.scores.map((row) => ({ table: "scores" as const, row })),
  ];
  const messages: UsageMessage[] = [];
  for (let i = 0; i < tagged.length; i += MAX_USAGE_ROWS) {
    const part = tagged.slice(i, i + MAX_USAGE_ROWS);
    messages.push({
      kind: USAGE_KIND,
      flush_id: newId(),
      counts: part.flatMap((t) => (t.table === "counts" ? [t.row] : [])),
      scores: part.flatMap((t) => (t.table === "scores" ? [t.row] : [])),
    });
  }
  return messages;
}
