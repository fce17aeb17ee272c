import type { HardExampleRoute } from "../../../core/hard-example.ts";
import type { ModelManifest } from "../../../core/manifest.ts";
import type { AnswerSource, Endpoint } from "../../answered.ts";
import { ApiError } from "../../errors.ts";
import { hourOf } from "../../metrics/usage.ts";
import { requireModel, type Stores } from "../models/state.ts";
import type { Threshold } from "./schema.ts";

/**
 * What GET /admin/stats reads: its window of hours, the aggregated rows from D1, and the routing rule
 * from the registry. assemble.ts turns them into the answer.
 */

/**
 * The time window of the statistics: whole UTC hours, the last one the hour `until` falls in. Usage is
 * counted per hour (usage_counts.hour), so the window starts on an hour; hard examples carry their
 * instant and are counted from `since` up to `until` itself.
 */
export interface StatsWindow {
  /** Start of the first hour, ISO 8601. */
  since: string;
  /** The end, ISO 8601. */
  until: string;
  /** Every hour of the window, oldest first, as usage_counts stores them (2026-11-29T11). */
  hours: string[];
}

const HOUR_MS = 3_600_000;

export function statsWindow(until: Date, hours: number): StatsWindow {
  const first = (Math.floor(until.getTime() / HOUR_MS) - (hours - 1)) * HOUR_MS;
  return {
    since: new Date(first).toISOString(),
    until: until.toISOString(),
    hours: Array.from({ length: hours }, (_, i) => hourOf(first + i * HOUR_MS)),
  };
}

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
// Records where both the student and the teacher gave a label (a model with no student has NULL there).
const ANSWERED = `${LOGGED} AND teacher_label IS NOT NULL AND student_label IS NOT NULL`;

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

/**
 * Which routing rule the statistics are read against: the chosen version's, else the live version's, as
 * the registry holds them now (the admin routes read KV and R2 directly, never the serving cache).
 * An unknown model is a 404 model_not_found, a version the model never had a 404 version_not_found.
 */
async function manifestOf(stores: Stores, name: string, version: string): Promise<ModelManifest | null> {
  if (version === stores.catalog.bundledVersion(name)) return stores.catalog.bundled.manifest(name);
  return (await stores.versions?.manifest(name, version)) ?? null;
}

export async function thresholdOf(stores: Stores, name: string, version: string | null): Promise<Threshold> {
  const state = await requireModel(stores, name);
  if (version !== null && !state.versions.some((v) => v.version === version))
    throw new ApiError(404, "version_not_found", `${name} has no version "${version}"`);
  const wanted = version ?? state.live;
  if (wanted === null) return null;
  let manifest: ModelManifest | null;
  try {
    manifest = await manifestOf(stores, name, wanted);
  } catch (error) {
    // The figures are still worth having without the rule: the rule is left out and the cause logged.
    console.error(`admin stats: the manifest of ${name}@${wanted} cannot be read`, error);
    return null;
  }
  if (manifest === null) {
    console.error(`admin stats: ${name}@${wanted} is live but its manifest is not in MODELS_BUCKET`);
    return null;
  }
  return { score: manifest.routing.score, value: manifest.routing.threshold, version: wanted };
}
