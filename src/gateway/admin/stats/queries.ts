import type { HardExampleRoute } from "../../../core/hard-example.ts";
import type { AnswerSource, Endpoint } from "../../answered.ts";
import type { StatsWindow } from "./window.ts";

/**
 * The statistics' reads from D1, aggregated in SQL and sent as one batch (one round trip). Usage rows are
 * summed over flush_id here: each isolate flush is its own row (migrations/0002_usage.sql). Parameters
 * are numbered so every statement binds the same values: ?1 model, ?2 version or NULL for all, ?3/?4
 * the window (hours for usage, instants for hard examples).
 */
export interface StatsFilter {
  model: string;
  version: string | null;
  window: StatsWindow;
  top: number;
}

export interface StatsRows {
  byHour: { hour: string; source: AnswerSource; n: number }[];
  byVersion: { version: string; source: AnswerSource; n: number }[];
  byEndpoint: { endpoint: Endpoint; n: number }[];
  scores: { bin: number; n: number }[];
  routes: { route: HardExampleRoute; n: number }[];
  /** Audit samples the teacher answered, per version. */
  audits: { version: string; samples: number; agree: number }[];
  /** The most frequent disagreements, most frequent first (ties by label, so the order is stable). */
  confusions: { student: string; teacher: string; count: number }[];
}

const USAGE = "model = ?1 AND (?2 IS NULL OR version = ?2) AND hour >= ?3 AND hour <= ?4";
const LOGGED = "model = ?1 AND (?2 IS NULL OR version = ?2) AND ts >= ?3 AND ts <= ?4";
const ANSWERED = `${LOGGED} AND teacher_label IS NOT NULL`;

const SQL = {
  byHour: `SELECT hour, source, SUM(n) AS n FROM usage_counts WHERE ${USAGE} GROUP BY hour, source`,
  byVersion: `SELECT version, source, SUM(n) AS n FROM usage_counts WHERE ${USAGE} GROUP BY version, source`,
  byEndpoint: `SELECT endpoint, SUM(n) AS n FROM usage_counts WHERE ${USAGE} GROUP BY endpoint`,
  scores: `SELECT bin, SUM(n) AS n FROM usage_scores WHERE ${USAGE} GROUP BY bin`,
  routes: `SELECT route, COUNT(*) AS n FROM hard_examples WHERE ${LOGGED} GROUP BY route`,
  audits: `SELECT version, COUNT(*) AS samples, SUM(teacher_label = student_label) AS agree
           FROM hard_examples WHERE ${ANSWERED} AND route = 'audit' GROUP BY version`,
  confusions: `SELECT student_label AS student, teacher_label AS teacher, COUNT(*) AS count
               FROM hard_examples WHERE ${ANSWERED} AND teacher_label <> student_label
               GROUP BY student_label, teacher_label
               ORDER BY count DESC, student_label, teacher_label LIMIT ?5`,
} as const;

export async function readStats(db: D1Database, filter: StatsFilter): Promise<StatsRows> {
  const { model, version, window, top } = filter;
  const usage = [model, version, window.hours[0]!, window.hours.at(-1)!];
  const logged = [model, version, window.since, window.until];
  const prepare = (sql: string, values: (string | number | null)[]) => db.prepare(sql).bind(...values);
  const results = await db.batch([
    prepare(SQL.byHour, usage),
    prepare(SQL.byVersion, usage),
    prepare(SQL.byEndpoint, usage),
    prepare(SQL.scores, usage),
    prepare(SQL.routes, logged),
    prepare(SQL.audits, logged),
    prepare(SQL.confusions, [...logged, top]),
  ]);
  // The columns are the SELECTs' above; the tables' CHECK constraints bound source, endpoint and route.
  const rows = <T>(i: number) => results[i]!.results as T[];
  return {
    byHour: rows(0),
    byVersion: rows(1),
    byEndpoint: rows(2),
    scores: rows(3),
    routes: rows(4),
    audits: rows(5),
    confusions: rows(6),
  };
}
