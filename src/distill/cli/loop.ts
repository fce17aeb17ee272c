import { DEFAULT_HOLDOUT_FRACTION } from "../../core/holdout.ts";
import { DEFAULT_GATE_TOLERANCE } from "../gateway-client/gate.ts";
import { formatDuration, parseDuration } from "../loop/duration.ts";
import { leaseOwner } from "../loop/lease.ts";
import { loopLog } from "../loop/log.ts";
import { runLoop } from "../loop/run.ts";
import type { ShadowPolicy } from "../loop/shadow.ts";
import { ANSWERS_STUDENT_RECIPE } from "../pipeline/config.ts";
import { numberFlag, parse, runCli, stringFlag, UsageError } from "./args.ts";
import { routingGoal } from "./from-gateway.ts";
import { distillOptions, RECIPE_FLAGS } from "./options.ts";

const DEFAULTS = {
  every: "10m",
  minNew: 500,
  canary: 10,
  shadowMin: 200,
  leaseTtl: "15m",
  runs: "runs",
} as const;

const USAGE = `Usage: npm run loop -- --gateway <url> --name <model> [--once] [options]

Re-distils the model from the teacher answers its gateway logged whenever enough new ones arrived, and
publishes the new student as a canary that the gateway's scheduled decision promotes or rolls back.
Each round: take the model's lease at the gateway (409: another run is at work, this round is skipped);
wait while a canary is undecided; count the records logged after the data the live, canary and shadow
versions were trained on (their manifests' training.hardExamples.newestRecordAt); with at least
--min-new, re-distil (as distill --from-gateway --answers-only), gate against the live student, upload,
and promote: live for the model's first student, else a --canary P% canary. With --shadow P the new
student runs in shadow on P% of live's requests instead, and later rounds judge it first (GET
/admin/models/<name>/decisions): worse than live with confidence, it is stopped; not worse after
--shadow-min compared texts, it becomes the --canary P% canary; else the round waits.

  --gateway URL        the gateway
  --name N             its model
  --token T            admin bearer token (default: env ADMIN_TOKEN; at least 32 characters)
  --once               one round, then exit (0 also when there was nothing to do or the gate refused)
  --every D            time between rounds, e.g. 90s, 10m, 1h (default ${DEFAULTS.every})
  --min-new N          new records needed to retrain (default ${DEFAULTS.minNew})
  --canary P           the canary's share of traffic, 1-99 (default ${DEFAULTS.canary})
  --shadow P           publish into shadow on P% of live's requests, 1-100, instead of a canary
  --shadow-min N       texts a shadow is compared on before it may become a canary (default ${DEFAULTS.shadowMin})
  --lease-ttl D        how long the lease outlives a killed run; longer than one round's training
                       (default ${DEFAULTS.leaseTtl})
  --runs DIR           where packages are written, DIR/<name>/<version> (default ${DEFAULTS.runs})
  --json               log one JSON object per line instead of text
  --holdout F          share of records held out for calibration, routing and the gate (default ${DEFAULT_HOLDOUT_FRACTION})
  --keep-agreement Q | --max-teacher-rate R    routing target (as for distill)
  --gate-tolerance A   agreement drop the gate forgives (default ${DEFAULT_GATE_TOLERANCE})
  --student-epochs E --student-dim D --student-buckets B --augment N --seed N ...  recipe (as for distill)

Exit codes: 0 done (published, nothing to do, waiting on a canary, another run at work, gate refused);
1 the gateway or the distillation failed, or the lease was lost; 2 usage.
`;

const FLAGS = {
  ...RECIPE_FLAGS,
  gateway: { type: "string" },
  token: { type: "string" },
  once: { type: "boolean", default: false },
  every: { type: "string" },
  "min-new": { type: "string" },
  canary: { type: "string" },
  shadow: { type: "string" },
  "shadow-min": { type: "string" },
  "lease-ttl": { type: "string" },
  runs: { type: "string" },
  json: { type: "boolean", default: false },
  holdout: { type: "string" },
  "keep-agreement": { type: "string" },
  "max-teacher-rate": { type: "string" },
  "gate-tolerance": { type: "string" },
  seed: { type: "string" },
  help: { type: "boolean", short: "h", default: false },
} as const;

type Flags = Record<string, string | boolean | undefined>;

function durationFlag(flags: Flags, name: string, fallback: string): number {
  const text = stringFlag(flags, name) ?? fallback;
  const ms = parseDuration(text);
  if (ms === null) throw new UsageError(`--${name} is a duration such as 90s, 10m or 1h, got "${text}"`);
  return ms;
}

function wholeFlag(flags: Flags, name: string, fallback: number, min: number, max: number): number {
  const n = numberFlag(flags, name) ?? fallback;
  if (!(Number.isInteger(n) && n >= min && n <= max))
    throw new UsageError(`--${name} is a whole number from ${min} to ${max}, got ${flags[name]}`);
  return n;
}

async function main(): Promise<void> {
  const flags = parse(process.argv.slice(2), FLAGS);
  if (flags.help) {
    process.stdout.write(USAGE);
    return;
  }
  const url = stringFlag(flags, "gateway");
  if (url === undefined || !URL.canParse(url)) throw new UsageError("--gateway URL is required");
  for (const flag of ["out", "version", "target-teacher-rate", "target-retention"])
    if (flags[flag] !== undefined)
      throw new UsageError(
        `--${flag} is not a loop flag: each round picks its version and writes under --runs`,
      );
  const token = stringFlag(flags, "token") ?? process.env.ADMIN_TOKEN;
  if (!token) throw new UsageError("give --token T or set ADMIN_TOKEN");
  const seed = numberFlag(flags, "seed") ?? 42;
  const { out: _out, ...distill } = distillOptions(flags, seed, ANSWERS_STUDENT_RECIPE);
  const holdout = numberFlag(flags, "holdout") ?? DEFAULT_HOLDOUT_FRACTION;
  if (!(holdout > 0 && holdout < 1)) throw new UsageError("--holdout is a share in (0, 1)");
  const gateTolerance = numberFlag(flags, "gate-tolerance") ?? DEFAULT_GATE_TOLERANCE;
  if (!(gateTolerance >= 0 && gateTolerance < 1))
    throw new UsageError("--gate-tolerance is a share in [0, 1)");
  const everyMs = durationFlag(flags, "every", DEFAULTS.every);
  const leaseTtlMs = durationFlag(flags, "lease-ttl", DEFAULTS.leaseTtl);
  if (leaseTtlMs > 86_400_000) throw new UsageError("--lease-ttl is at most 24h");
  const log = loopLog(distill.name, flags.json === true);
  const options = {
    url,
    token,
    distill: { ...distill, quiet: true },
    minNew: wholeFlag(flags, "min-new", DEFAULTS.minNew, 1, 100_000),
    canaryPercent: wholeFlag(flags, "canary", DEFAULTS.canary, 1, 99),
    shadow: shadowPolicy(flags),
    leaseTtlS: Math.ceil(leaseTtlMs / 1000),
    owner: leaseOwner(),
    runsDir: stringFlag(flags, "runs") ?? DEFAULTS.runs,
    holdout,
    goal: routingGoal(flags),
    gateTolerance,
  };
  const once = flags.once === true;
  const stop = new AbortController();
  if (!once) {
    log("sleep", `a round every ${formatDuration(everyMs)}, retraining after ${options.minNew} new records`);
    stopOnSignal(stop, log);
  }
  await runLoop(options, { once, everyMs, signal: stop.signal }, log);
}

function shadowPolicy(flags: Flags): ShadowPolicy | null {
  if (flags.shadow === undefined) {
    if (flags["shadow-min"] !== undefined) throw new UsageError("--shadow-min needs --shadow P");
    return null;
  }
  return {
    percent: wholeFlag(flags, "shadow", 0, 1, 100),
    minTexts: wholeFlag(flags, "shadow-min", DEFAULTS.shadowMin, 1, 1_000_000),
  };
}

/** Ctrl-C or SIGTERM: finish the round under way (its lease is then released), then stop; twice: stop now. */
function stopOnSignal(stop: AbortController, log: ReturnType<typeof loopLog>): void {
  for (const signal of ["SIGINT", "SIGTERM"] as const)
    process.once(signal, () => {
      log("sleep", `${signal}: stopping after this round (again to stop at once; the lease then lapses)`);
      stop.abort();
      process.once(signal, () => process.exit(130));
    });
}

await runCli(main, USAGE);
