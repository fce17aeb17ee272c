import { join } from "node:path";
import { loadDataset } from "../data/index.ts";
import { type DistillOptions, type ModelRecipe, STUDENT_RECIPE, TEACHER_RECIPE } from "../pipeline/config.ts";
import { distill } from "../pipeline/distill.ts";
import { formatSummaryTable } from "../report/table.ts";
import { DATA_FLAGS, dataOptions, numberFlag, parse, runCli, stringFlag, UsageError } from "./args.ts";
import { quietProgress, terminalProgress } from "./progress.ts";

const USAGE = `Usage: npm run distill -- --data <file> --name <name> [--out models/<name>] [options]

Data:      --data FILE | --train FILE [--val FILE] [--test FILE]   --format clinc|jsonl|csv|tsv
           --text-col NAME|INDEX --label-col NAME|INDEX --val-fraction F --test-fraction F
Routing:   --target-teacher-rate R (default 0.25) | --target-retention Q (share of teacher accuracy)
Distill:   --kd-temperature T (default 2) --kd-alpha A (default 0.3) --augment N (default 2)
Teacher:   --teacher-members N --teacher-dim D --teacher-buckets B --teacher-epochs E --teacher-dtype T
Student:   --student-dim D --student-buckets B --student-epochs E --student-dtype float32|float16|int8
Other:     --oos-max-in-scope-drop F (default 0.003) --seed N (default 42) --version V --quiet
`;

const FLAGS = {
  ...DATA_FLAGS,
  name: { type: "string" },
  out: { type: "string" },
  version: { type: "string" },
  "target-teacher-rate": { type: "string" },
  "target-retention": { type: "string" },
  "kd-temperature": { type: "string" },
  "kd-alpha": { type: "string" },
  augment: { type: "string" },
  "teacher-dtype": { type: "string" },
  "student-dtype": { type: "string" },
  "oos-max-in-scope-drop": { type: "string" },
  "teacher-members": { type: "string" },
  "teacher-dim": { type: "string" },
  "teacher-buckets": { type: "string" },
  "teacher-epochs": { type: "string" },
  "teacher-label-smoothing": { type: "string" },
  "student-dim": { type: "string" },
  "student-buckets": { type: "string" },
  "student-epochs": { type: "string" },
} as const;

function recipe(
  flags: Record<string, string | boolean | undefined>,
  prefix: string,
  base: ModelRecipe,
): ModelRecipe {
  const pick = (flag: string, fallback: number) => numberFlag(flags, `${prefix}-${flag}`) ?? fallback;
  return {
    ...base,
    members: pick("members", base.members),
    dim: pick("dim", base.dim),
    buckets: pick("buckets", base.buckets),
    epochs: pick("epochs", base.epochs),
    labelSmoothing: pick("label-smoothing", base.labelSmoothing),
    embeddingDtype: dtypeFlag(flags, `${prefix}-dtype`) ?? base.embeddingDtype,
  };
}

function dtypeFlag(
  flags: Record<string, string | boolean | undefined>,
  name: string,
): ModelRecipe["embeddingDtype"] | undefined {
  const v = stringFlag(flags, name);
  if (v === undefined) return undefined;
  if (v !== "float32" && v !== "float16" && v !== "int8")
    throw new UsageError(`--${name} must be float32, float16 or int8`);
  return v;
}

async function main(): Promise<void> {
  const flags = parse(process.argv.slice(2), FLAGS);
  if (flags.help) {
    process.stdout.write(USAGE);
    return;
  }
  const seed = numberFlag(flags, "seed") ?? 42;
  const name = stringFlag(flags, "name");
  if (!name) throw new UsageError("--name is required");
  const data = dataOptions(flags, seed);
  if (!data) throw new UsageError("give --data FILE or --train FILE");
  const rate = numberFlag(flags, "target-teacher-rate");
  const retention = numberFlag(flags, "target-retention");
  if (rate !== undefined && retention !== undefined)
    throw new UsageError("give --target-teacher-rate or --target-retention, not both");
  const target =
    retention !== undefined
      ? { kind: "retention" as const, value: retention }
      : { kind: "teacher_rate" as const, value: rate ?? 0.25 };
  if (!(target.value > 0 && target.value <= 1)) throw new UsageError("routing targets are shares in (0, 1]");

  const options: DistillOptions = {
    name,
    out: stringFlag(flags, "out") ?? join("models", name),
    seed,
    teacher: recipe(flags, "teacher", TEACHER_RECIPE),
    student: recipe(flags, "student", STUDENT_RECIPE),
    augment: numberFlag(flags, "augment") ?? 2,
    kd: {
      temperature: numberFlag(flags, "kd-temperature") ?? 2,
      alpha: numberFlag(flags, "kd-alpha") ?? 0.3,
    },
    oosMaxInScopeDrop: numberFlag(flags, "oos-max-in-scope-drop") ?? 0.003,
    target,
    quiet: flags.quiet === true,
  };
  const dataset = await loadDataset(data);
  const progress = options.quiet ? quietProgress() : terminalProgress();
  const result = await distill(dataset, options, progress, {
    data,
    version: stringFlag(flags, "version") ?? "1.0.0",
  });
  if (!options.quiet) process.stdout.write(`\n${formatSummaryTable(result.summary)}\n`);
  process.stdout.write(`wrote ${options.out} in ${result.seconds.toFixed(1)} s\n`);
}

await runCli(main, USAGE);
