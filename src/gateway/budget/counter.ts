import { DurableObject } from "cloudflare:workers";
import { z } from "zod";
import {
  type CountStore,
  MODEL_SCOPE,
  modelUsage,
  type Period,
  Reservation,
  type ReservationResult,
  reserve,
  type WindowCount,
  type WindowUsage,
  windowAt,
} from "./ledger.ts";

/**
 * The teacher budget of one model, shared by every isolate: one Durable Object per model name
 * (`idFromName(model)`). A Durable Object runs one event at a time, and each reservation is a single
 * synchronous turn over its SQLite storage (no await between reading a count and booking it), so
 * reservations from any number of isolates are applied one after another and a window never goes past its
 * limit. Counts survive the object's eviction; rows of past windows are pruned.
 */

const SCHEMA = `CREATE TABLE IF NOT EXISTS budget_usage (
  period TEXT NOT NULL, start INTEGER NOT NULL, scope TEXT NOT NULL,
  used INTEGER NOT NULL DEFAULT 0, refused INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (period, start, scope)
)`;

type Row = { used: number; refused: number };

/** A client key's figures in the current windows. */
export interface ClientUsage {
  client: string;
  hour: WindowCount;
  day: WindowCount;
}

export interface BudgetUsage {
  usage: Record<Period, WindowUsage>;
  /** The busiest client keys of the current day, most texts first. */
  clients: ClientUsage[];
}

const UsageQuery = z.strictObject({
  limits: z.strictObject({ perHour: z.number().int().nullable(), perDay: z.number().int().nullable() }),
  now: z.number().int().min(0),
  top: z.number().int().min(0).max(1000),
});
export type UsageQuery = z.infer<typeof UsageQuery>;

export class TeacherBudget extends DurableObject<object> {
  private readonly sql: SqlStorage;
  private prunedBefore = 0;

  constructor(ctx: DurableObjectState, env: object) {
    super(ctx, env);
    this.sql = ctx.storage.sql;
    this.sql.exec(SCHEMA);
  }

  /** Books `count` texts if every window has room for all of them; refuses (and counts) them otherwise. */
  reserve(request: Reservation): ReservationResult {
    const parsed = Reservation.parse(request);
    this.prune(parsed.now);
    return reserve(this.store(), parsed);
  }

  /** The model's current hour and day, and its busiest client keys today. */
  usage(query: UsageQuery): BudgetUsage {
    const { limits, now, top } = UsageQuery.parse(query);
    const store = this.store();
    const day = windowAt("day", now).start;
    const hour = windowAt("hour", now).start;
    const clients = this.sql
      .exec<{ scope: string }>(
        "SELECT scope FROM budget_usage WHERE period = 'day' AND start = ? AND scope != ? ORDER BY used DESC, scope LIMIT ?",
        day,
        MODEL_SCOPE,
        top,
      )
      .toArray()
      .map(({ scope }) => ({
        client: scope.replace(/^key:/, ""),
        hour: store.read("hour", hour, scope),
        day: store.read("day", day, scope),
      }));
    return { usage: modelUsage(store, limits, now), clients };
  }

  private store(): CountStore {
    const sql = this.sql;
    return {
      read(period, start, scope) {
        const rows = sql
          .exec<Row>(
            "SELECT used, refused FROM budget_usage WHERE period = ? AND start = ? AND scope = ?",
            period,
            start,
            scope,
          )
          .toArray();
        return rows[0] ?? { used: 0, refused: 0 };
      },
      add(period, start, scope, delta) {
        sql.exec(
          `INSERT INTO budget_usage (period, start, scope, used, refused) VALUES (?, ?, ?, ?, ?)
           ON CONFLICT (period, start, scope) DO UPDATE SET used = used + excluded.used, refused = refused + excluded.refused`,
          period,
          start,
          scope,
          delta.used,
          delta.refused,
        );
      },
    };
  }

  /** Drops the rows of windows that ended: once per hour at most. */
  private prune(now: number): void {
    const hour = windowAt("hour", now).start;
    if (hour <= this.prunedBefore) return;
    this.sql.exec(
      "DELETE FROM budget_usage WHERE (period = 'hour' AND start < ?) OR (period = 'day' AND start < ?)",
      hour,
      windowAt("day", now).start,
    );
    this.prunedBefore = hour;
  }
}
