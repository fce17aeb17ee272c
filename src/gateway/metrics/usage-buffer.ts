import { ANSWER_SOURCES, type AnsweredBatch, countSources } from "./events.ts";
import {
  hourOf,
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

  /** One answer per text, in the UTC hour of `at`; summed per row first, so keys are built per row, not per text. */
  add(batch: AnsweredBatch, at: Date): void {
    const hour = hourOf(at);
    const { model, version, endpoint } = batch;
    const sources = countSources(batch.answers);
    for (const source of ANSWER_SOURCES) {
      const n = sources[source];
      if (n > 0) {
        const count: UsageCount = { hour, model, version, endpoint, source, n };
        add(this.counts, countKey(count), count);
      }
    }
    const bins = new Map<number, number>();
    for (const answer of batch.answers) {
      if (answer.score === null) continue; // no student, no score
      const bin = scoreBin(answer.score);
      bins.set(bin, (bins.get(bin) ?? 0) + 1);
    }
    for (const [bin, n] of bins) {
      const score: UsageScore = { hour, model, version, bin, n };
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
  // Rows i..end of the counts followed by the scores: scores' positions are shifted by the counts'.
  const shift = rows.counts.length;
  const messages: UsageMessage[] = [];
  for (let i = 0; i < shift + rows.scores.length; i += MAX_USAGE_ROWS) {
    const end = i + MAX_USAGE_ROWS;
    messages.push({
      kind: USAGE_KIND,
      flush_id: newId(),
      counts: rows.counts.slice(i, end),
      scores: rows.scores.slice(Math.max(0, i - shift), Math.max(0, end - shift)),
    });
  }
  return messages;
}
