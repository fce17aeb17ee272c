import { readFile } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { DEFAULT_HOLDOUT_FRACTION } from "../../core/holdout.ts";
import { ModelManifest } from "../../core/manifest.ts";
import type { RoutingGoal } from "../calibrate/agreement-fit.ts";
import { type LoadOptions, loadDataset } from "../data/index.ts";
import { LoadOptionsSchema } from "../data/options.ts";
import {
  AGREEMENT_CONFIDENCE,
  DEFAULT_ROUTING_GOAL,
  distillFromTeacherAnswers,
} from "../gateway-client/from-answers.ts";
import { distillFromGateway, GateRefused, type GatewayRunOptions } from "../gateway-client/from-gateway.ts";
import { DEFAULT_GATE_TOLERANCE } from "../gateway-client/gate.ts";
import { parseLabelFile } from "../gateway-client/label-set.ts";
import { fileExists, readJson, TEACHER_DIR } from "../package/files.ts";
import { readTeacherPackage } from "../package/teacher.ts";
import { ANSWERS_STUDENT_RECIPE } from "../pipeline/config.ts";
import type { DistillResult } from "../pipeline/ship.ts";
import { formatSummaryTable } from "../report/table.ts";
import { dataOptions, numberFlag, stringFlag, UsageError } from "./args.ts";
import { distillOptions } from "./options.ts";
import { quietProgress, terminalProgress } from "./progress.ts";

type Flags = Record<string, string | boolean | undefined>;

export const FROM_GATEWAY_FLAGS = {
  "from-gateway": { type: "string" },
  teacher: { type: "string" },
  "answers-only": { type: "boolean" },
  labels: { type: "string" },
  holdout: { type: "string" },
  "keep-agreement": { type: "string" },
  "max-teacher-rate": { type: "string" },
  "live-package": { type: "string" },
  "admin-token": { type: "string" },
  since: { type: "string" },
  publish: { type: "boolean" },
  canary: { type: "string" },
  force: { type: "boolean" },
  "gate-tolerance": { type: "string" },
} as const;

/** Flags only the path without a local teacher reads. */
const ANSWERS_FLAGS = ["labels", "holdout", "keep-agreement", "max-teacher-rate", "live-package"] as const;

/** Exit code of a student the evaluation gate refused (usage errors are 2, other failures 1). */
export const EXIT_GATE_REFUSED = 3;

/** What both paths share: the gateway, the token, the version and publishing flags. */
type CommonOptions = GatewayRunOptions;

/**
 * `npm run distill -- --from-gateway URL ...`: see the usage text in distill.ts. With a local teacher
 * package (--teacher, or models/<name> when it exists) the student learns from it and the base data;
 * without one (or with --answers-only) from the gateway's logged teacher answers alone.
 */
export async function fromGatewayMain(flags: Flags, seed: number): Promise<void> {
  const common = commonOptions(flags, seed);
  const teacherFlag = stringFlag(flags, "teacher");
  const answersOnly = flags["answers-only"] === true;
  if (answersOnly && teacherFlag !== undefined)
    throw new UsageError("--answers-only and --teacher exclude each other");
  const teacherDir = teacherFlag ?? join("models", common.distill.name);
  const withTeacher =
    teacherFlag !== undefined ||
    (!answersOnly && (await fileExists(join(teacherDir, TEACHER_DIR, "manifest.json"))));
  const progress = common.distill.quiet ? quietProgress() : terminalProgress();
  const log = (line: string) => process.stderr.write(`${line}\n`);
  const data = dataOptions(flags, seed);
  try {
    const run = withTeacher
      ? await fromTeacherPackage(flags, common, teacherDir, data, progress, log)
      : await fromAnswers(flags, common, data, progress, log);
    if (!common.distill.quiet) process.stdout.write(`\n${formatSummaryTable(run.result.summary)}\n`);
    process.stdout.write(
      `wrote ${run.result.pkg.dir} (${common.distill.name} ${run.version}) in ${run.result.seconds.toFixed(1)} s\n`,
    );
  } catch (error) {
    if (!(error instanceof GateRefused)) throw error;
    process.stderr.write(`error: ${error.message}\nnothing was uploaded; --force overrides the gate\n`);
    process.exitCode = EXIT_GATE_REFUSED;
  }
}

function commonOptions(flags: Flags, seed: number): CommonOptions {
  const url = stringFlag(flags, "from-gateway")!;
  if (!URL.canParse(url)) throw new UsageError(`--from-gateway must be a URL, got "${url}"`);
  const distill = distillOptions(flags, seed, ANSWERS_STUDENT_RECIPE);
  const token = stringFlag(flags, "admin-token") ?? process.env.ADMIN_TOKEN;
  if (!token) throw new UsageError("give --admin-token T or set ADMIN_TOKEN");
  const sinceFlag = stringFlag(flags, "since");
  if (sinceFlag !== undefined && !Number.isFinite(Date.parse(sinceFlag)))
    throw new UsageError(`--since must be an ISO 8601 time, got "${sinceFlag}"`);
  // The gateway wants an instant with a zone; "2026-05-01" or a local time become UTC here.
  const since = sinceFlag === undefined ? undefined : new Date(sinceFlag).toISOString();
  const canary = numberFlag(flags, "canary");
  if (canary !== undefined && !(Number.isInteger(canary) && canary >= 1 && canary <= 99))
    throw new UsageError("--canary is a whole percentage from 1 to 99");
  if (canary !== undefined && flags.publish !== true) throw new UsageError("--canary goes with --publish");
  const tolerance = numberFlag(flags, "gate-tolerance") ?? DEFAULT_GATE_TOLERANCE;
  if (!(tolerance >= 0 && tolerance < 1)) throw new UsageError("--gate-tolerance is a share in [0, 1)");
  const out = stringFlag(flags, "out");
  const version = stringFlag(flags, "version");
  return {
    url,
    token,
    distill,
    ...(out !== undefined ? { out } : {}),
    ...(since !== undefined ? { since } : {}),
    ...(version !== undefined ? { version } : {}),
    publish: flags.publish === true,
    ...(canary !== undefined ? { canaryPercent: canary } : {}),
    force: flags.force === true,
    gateTolerance: tolerance,
  };
}

type Log = (line: string) => void;
type Progress = ReturnType<typeof quietProgress>;

async function fromTeacherPackage(
  flags: Flags,
  common: CommonOptions,
  teacherDir: string,
  data: LoadOptions | null,
  progress: Progress,
  log: Log,
): Promise<{ version: string; result: DistillResult }> {
  for (const flag of ANSWERS_FLAGS)
    if (flags[flag] !== undefined)
      throw new UsageError(
        `--${flag} goes with learning from teacher answers alone (no --teacher; see --answers-only)`,
      );
  const teacher = await readTeacherPackage(teacherDir);
  const base = data ?? (await recordedData(teacher.dir));
  const dataset = await loadDataset(base);
  return distillFromGateway({ ...common, teacher, dataset, provenance: { data: base } }, progress, log);
}

async function fromAnswers(
  flags: Flags,
  common: CommonOptions,
  data: LoadOptions | null,
  progress: Progress,
  log: Log,
): Promise<{ version: string; result: DistillResult }> {
  const holdout = numberFlag(flags, "holdout") ?? DEFAULT_HOLDOUT_FRACTION;
  if (!(holdout > 0 && holdout < 1)) throw new UsageError("--holdout is a share in (0, 1)");
  for (const flag of ["target-teacher-rate", "target-retention"])
    if (flags[flag] !== undefined)
      throw new UsageError(
        `--${flag} routes against a local teacher's accuracy; with the teacher's answers alone give --keep-agreement Q or --max-teacher-rate R`,
      );
  const goal = routingGoal(flags);
  const labelsPath = stringFlag(flags, "labels");
  const labels = labelsPath === undefined ? null : { path: labelsPath, labels: await readLabels(labelsPath) };
  const dataset = data === null ? null : await loadDataset(data);
  const livePackage = stringFlag(flags, "live-package");
  log(`no local teacher package: learning from the teacher answers ${common.url} logged`);
  return distillFromTeacherAnswers(
    {
      ...common,
      holdout,
      goal,
      labels,
      // Every labelled split is training data here: the held-out slice of the records does the rest.
      labelled: dataset === null ? [] : [...dataset.train, ...dataset.val, ...dataset.test],
      ...(livePackage !== undefined ? { livePackage } : {}),
      provenance: data === null ? {} : { data },
    },
    progress,
    log,
  );
}

/** --keep-agreement Q or --max-teacher-rate R: the routing target against the teacher's answers. */
export function routingGoal(flags: Flags): RoutingGoal {
  const keep = numberFlag(flags, "keep-agreement");
  const rate = numberFlag(flags, "max-teacher-rate");
  if (keep !== undefined && rate !== undefined)
    throw new UsageError("give --keep-agreement Q or --max-teacher-rate R, not both");
  if (keep !== undefined && !(keep > 0 && keep <= 1))
    throw new UsageError(`--keep-agreement is a share in (0, 1], got ${flags["keep-agreement"]}`);
  if (rate !== undefined && !(rate >= 0 && rate <= 1))
    throw new UsageError(`--max-teacher-rate is a share in [0, 1], got ${flags["max-teacher-rate"]}`);
  if (rate !== undefined) return { maxTeacherRate: rate };
  return keep !== undefined
    ? { keepAgreement: keep, confidence: AGREEMENT_CONFIDENCE }
    : DEFAULT_ROUTING_GOAL;
}

async function readLabels(path: string): Promise<string[]> {
  try {
    return parseLabelFile(await readFile(path, "utf8"));
  } catch (error) {
    throw new UsageError(`--labels ${path}: ${(error as Error).message}`);
  }
}

/**
 * The data the teacher's package was trained on, as its student manifest recorded it (with its seed,
 * so carved splits come out the same and the test split stays held out).
 */
async function recordedData(teacherDir: string): Promise<LoadOptions> {
  const packageDir = basename(teacherDir) === TEACHER_DIR ? dirname(teacherDir) : teacherDir;
  const manifest = await readJson(join(packageDir, "manifest.json"), ModelManifest);
  const parsed = LoadOptionsSchema.safeParse(manifest.training.data);
  if (!parsed.success)
    throw new UsageError(`${packageDir}/manifest.json records no training data options: give --data`);
  return parsed.data;
}
