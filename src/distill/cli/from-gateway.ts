import { basename, dirname, join } from "node:path";
import { ModelManifest } from "../../core/manifest.ts";
import { type LoadOptions, loadDataset } from "../data/index.ts";
import { LoadOptionsSchema } from "../data/options.ts";
import { distillFromGateway, GateRefused } from "../gateway-client/from-gateway.ts";
import { DEFAULT_GATE_TOLERANCE } from "../gateway-client/gate.ts";
import { readJson, TEACHER_DIR } from "../package/files.ts";
import { readTeacherPackage } from "../package/teacher.ts";
import { formatSummaryTable } from "../report/table.ts";
import { dataOptions, numberFlag, stringFlag, UsageError } from "./args.ts";
import { distillOptions } from "./options.ts";
import { quietProgress, terminalProgress } from "./progress.ts";

type Flags = Record<string, string | boolean | undefined>;

export const FROM_GATEWAY_FLAGS = {
  "from-gateway": { type: "string" },
  teacher: { type: "string" },
  "admin-token": { type: "string" },
  since: { type: "string" },
  publish: { type: "boolean" },
  canary: { type: "string" },
  force: { type: "boolean" },
  "gate-tolerance": { type: "string" },
} as const;

/** Exit code of a student the evaluation gate refused (usage errors are 2, other failures 1). */
export const EXIT_GATE_REFUSED = 3;

/** `npm run distill -- --from-gateway URL ...`: see the usage text in distill.ts. */
export async function fromGatewayMain(flags: Flags, seed: number): Promise<void> {
  const url = stringFlag(flags, "from-gateway")!;
  if (!URL.canParse(url)) throw new UsageError(`--from-gateway must be a URL, got "${url}"`);
  const distill = distillOptions(flags, seed);
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

  const teacher = await readTeacherPackage(stringFlag(flags, "teacher") ?? join("models", distill.name));
  const data = dataOptions(flags, seed) ?? (await recordedData(teacher.dir));
  const dataset = await loadDataset(data);
  const progress = distill.quiet ? quietProgress() : terminalProgress();
  const log = (line: string) => process.stderr.write(`${line}\n`);
  const out = stringFlag(flags, "out");
  const version = stringFlag(flags, "version");
  try {
    const run = await distillFromGateway(
      {
        url,
        token,
        teacher,
        dataset,
        distill,
        ...(out !== undefined ? { out } : {}),
        ...(since !== undefined ? { since } : {}),
        ...(version !== undefined ? { version } : {}),
        publish: flags.publish === true,
        ...(canary !== undefined ? { canaryPercent: canary } : {}),
        force: flags.force === true,
        gateTolerance: tolerance,
        provenance: { data },
      },
      progress,
      log,
    );
    if (!distill.quiet) process.stdout.write(`\n${formatSummaryTable(run.result.summary)}\n`);
    process.stdout.write(
      `wrote ${run.result.pkg.dir} (${distill.name} ${run.version}) in ${run.result.seconds.toFixed(1)} s\n`,
    );
  } catch (error) {
    if (!(error instanceof GateRefused)) throw error;
    process.stderr.write(`error: ${error.message}\nnothing was uploaded; --force overrides the gate\n`);
    process.exitCode = EXIT_GATE_REFUSED;
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
