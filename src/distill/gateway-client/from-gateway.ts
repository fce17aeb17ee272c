import { join } from "node:path";
import type { HardExampleRecord } from "../../core/hard-example.ts";
import type { Dataset } from "../data/index.ts";
import type { TeacherPackage } from "../package/teacher.ts";
import type { DistillOptions } from "../pipeline/config.ts";
import { type MergeStats, mergeHardExamples } from "../pipeline/merge.ts";
import type { Progress } from "../pipeline/progress.ts";
import { redistill } from "../pipeline/redistill.ts";
import type { DistillResult } from "../pipeline/ship.ts";
import { GatewayClient, MAX_EXPORT_LIMIT } from "./client.ts";
import { evaluationGate, type GateFigures, type GateVerdict } from "./gate.ts";
import type { AdminModel, LiveModel, Uploaded } from "./schemas.ts";
import { nextVersion } from "./version.ts";

/** What every re-distillation from a gateway takes: the gateway, the recipe, the version and publishing. */
export interface GatewayRunOptions {
  url: string;
  token: string;
  /** distill.name is the gateway model. */
  distill: Omit<DistillOptions, "out">;
  /** Where the package is written; default <runsDir>/<name>/<version> (never the shipped models/<name>). */
  out?: string;
  /** Default "runs". */
  runsDir?: string;
  since?: string;
  version?: string;
  publish: boolean;
  canaryPercent?: number;
  force: boolean;
  gateTolerance: number;
}

export interface FromGatewayOptions extends GatewayRunOptions {
  teacher: TeacherPackage;
  /** The base training data; its val and test splits are the calibration and gate data. */
  dataset: Dataset;
  /** Extra manifest.training fields (e.g. the data options). */
  provenance: Record<string, unknown>;
}

export interface FromGatewayResult {
  version: string;
  live: LiveModel;
  merge: MergeStats;
  result: DistillResult;
  verdict: GateVerdict;
  uploaded: Uploaded | null;
}

/** The gate refused the student: nothing was uploaded (the package is on disk for inspection). */
export class GateRefused<Run extends { verdict: GateVerdict } = FromGatewayResult> extends Error {
  readonly verdict: GateVerdict;
  constructor(readonly run: Run) {
    super(`evaluation gate refused the new student: ${run.verdict.reason}`);
    this.verdict = run.verdict;
  }
}

/**
 * Re-distillation from a running gateway, used by `npm run distill -- --from-gateway` and by the loop
 * benchmark: pull the model's hard examples, merge them with the base data, train a new student from
 * the existing teacher, gate it against the live version and, when asked, upload and promote it.
 */
export async function distillFromGateway(
  options: FromGatewayOptions,
  progress: Progress,
  log: (line: string) => void,
): Promise<FromGatewayResult> {
  const name = options.distill.name;
  const client = new GatewayClient(options.url, options.token);
  const live = await client.liveModel(name);
  const registry = await client.adminModel(name);
  const version = chooseVersion(name, live.version, registry, options);
  const records = await pullRecords(client, name, options.since, log);
  // Clients' true labels outrank the teacher's (pipeline/merge.ts).
  const feedback = await client.feedback({
    model: name,
    ...(options.since !== undefined ? { since: options.since } : {}),
  });
  const merged = mergeHardExamples(
    options.dataset,
    options.teacher.manifest.labels,
    records,
    {
      normalization: options.teacher.manifest.featurizer.normalization,
      lowercase: options.teacher.manifest.featurizer.lowercase,
    },
    feedback,
  );
  log(describeMerge(merged.stats));

  const result = await redistill(
    {
      dataset: options.dataset,
      teacher: options.teacher,
      logged: merged.examples,
      options: { ...options.distill, out: options.out ?? join(options.runsDir ?? "runs", name, version) },
      version,
      training: {
        hardExamples: {
          gateway: options.url,
          since: options.since ?? null,
          liveVersion: live.version,
          ...merged.stats,
        },
        ...options.provenance,
      },
    },
    progress,
  );

  const verdict = evaluationGate(candidateFigures(result), liveFigures(live), {
    tolerance: options.gateTolerance,
    force: options.force,
  });
  log(`gate: ${verdict.pass ? "pass" : "REFUSED"}: ${verdict.reason}`);
  if (!verdict.pass)
    throw new GateRefused({ version, live, merge: merged.stats, result, verdict, uploaded: null });

  const uploaded = options.publish ? await publish(client, result, options.canaryPercent, log) : null;
  return { version, live, merge: merged.stats, result, verdict, uploaded };
}

/**
 * The version to write: --version, else the next patch above the live one and every uploaded one
 * (1.0.0 when the model has neither). Publishing refuses a version the registry already holds.
 */
export function chooseVersion(
  name: string,
  liveVersion: string | null,
  registry: AdminModel | null,
  options: { version?: string; publish: boolean },
): string {
  const existing = registry?.versions.map((v) => v.version) ?? [];
  const newest = liveVersion ?? existing.at(-1);
  const version = options.version ?? (newest === undefined ? "1.0.0" : nextVersion(newest, existing));
  if (options.publish && (existing.includes(version) || version === liveVersion))
    throw new Error(`version ${version} of ${name} already exists in the registry; give another --version`);
  return version;
}

/** Every hard-example record of the model (since a time), with warnings for what the export left out. */
export async function pullRecords(
  client: GatewayClient,
  name: string,
  since: string | undefined,
  log: (line: string) => void,
): Promise<HardExampleRecord[]> {
  const query = { model: name, ...(since !== undefined ? { since } : {}) };
  const { indexed, records } = await client.allHardExamples(query);
  const foreign = records.find((r) => r.model !== name);
  if (foreign) throw new Error(`record ${foreign.id} is for model "${foreign.model}", asked for "${name}"`);
  if (indexed !== null && records.length < indexed)
    log(`warning: the gateway indexed ${indexed} records but sent ${records.length} (see its logs)`);
  if (records.length >= MAX_EXPORT_LIMIT)
    log(`warning: the export stopped at its limit of ${MAX_EXPORT_LIMIT} records; use --since to page`);
  return records;
}

/** Uploads the package and promotes it (live, or a canary taking `canaryPercent` of the traffic). */
export async function publish(
  client: GatewayClient,
  result: DistillResult,
  canaryPercent: number | undefined,
  log: (line: string) => void,
): Promise<Uploaded> {
  const { name, version } = result.pkg.manifest;
  const manifestJson = `${JSON.stringify(result.pkg.manifest, null, 2)}\n`;
  const uploaded = await client.upload(name, version, manifestJson, result.pkg.student);
  await client.promote(name, version, canaryPercent);
  log(
    canaryPercent === undefined
      ? `published ${name} ${version} (${uploaded.bytes} bytes) and made it live`
      : `published ${name} ${version} (${uploaded.bytes} bytes) as a ${canaryPercent}% canary`,
  );
  return uploaded;
}

export function candidateFigures(result: DistillResult): GateFigures {
  const { manifest } = result.pkg;
  return {
    version: manifest.version,
    split: manifest.evaluation.split,
    n: manifest.evaluation.n,
    accuracy: manifest.evaluation.cascade.accuracy,
    teacherRate: manifest.evaluation.cascade.teacher_rate,
  };
}

export function liveFigures(live: LiveModel): GateFigures {
  const { evaluation } = live;
  // A model with no student yet (its teacher answers everything) has nothing to defend: n = 0.
  if (evaluation === null) return { version: live.version, split: "none", n: 0, accuracy: 0, teacherRate: 1 };
  return {
    version: live.version,
    split: evaluation.split,
    n: evaluation.n,
    accuracy: evaluation.cascade_accuracy,
    teacherRate: evaluation.cascade_teacher_rate,
  };
}

export function describeMerge(s: MergeStats): string {
  const routes = Object.entries(s.byRoute)
    .map(([route, n]) => `${route} ${n}`)
    .join(", ");
  return [
    `hard examples: ${s.records} records, ${s.used} used (${routes})`,
    `skipped: ${s.noTeacher} without a teacher answer, ${s.duplicateIds} duplicate ids, ${s.inBaseTrain} already in the base data,`,
    `${s.heldOut} in val/test, ${s.unknownLabel} with an unknown label; ${s.oneHot} used as one-hot (no probs);`,
    `feedback: ${s.feedback.records} texts, ${s.feedback.relabelled} relabelled (${s.feedback.overruled} overruling the teacher),`,
    `${s.feedback.added} added, ${s.feedback.skipped} skipped`,
  ].join(" ");
}
