/**
 * The per-model bound on hard-example records: at most HARD_EXAMPLES_PER_HOUR records of a model per
 * UTC hour in this isolate. Logging is open to every client (any escalation, any `"teacher": "always"`
 * request is logged), so without a bound one client could fill R2 and D1 with its texts. Over the cap
 * records are dropped before anything is built or sent (audits before the teacher is even asked), and
 * counted: `onDropped` feeds apprentice_hard_examples_dropped_total in /metrics. "Nothing logged is
 * lost" is about the records admitted here.
 *
 * The count lives in the isolate (like the rest of /metrics): Workers runs a gateway in many isolates,
 * so the bound on the whole deployment is the cap times the isolates serving a model.
 */
const HOUR_MS = 3_600_000;

export class HourlyRecordCap {
  private readonly used = new Map<string, { hour: number; count: number }>();

  constructor(private readonly onDropped: (model: string, count: number) => void = () => {}) {}

  /** How many of `wanted` records of `model` may be logged now (they are counted as logged). */
  admit(model: string, wanted: number, perHour: number, now = Date.now()): number {
    const hour = Math.floor(now / HOUR_MS);
    let entry = this.used.get(model);
    if (!entry || entry.hour !== hour) {
      entry = { hour, count: 0 };
      this.used.set(model, entry);
    }
    const admitted = Math.max(0, Math.min(wanted, perHour - entry.count));
    entry.count += admitted;
    if (admitted < wanted) this.onDropped(model, wanted - admitted);
    return admitted;
  }
}
