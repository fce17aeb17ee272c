import { DEFAULT_HOLDOUT_FRACTION } from "../../core/holdout.ts";
import { loadDataset } from "../data/index.ts";
import { EQUAL_RATE_GATE_RULE } from "../gateway-client/equal-rate-gate.ts";
import { AGREEMENT_CONFIDENCE, DEFAULT_ROUTING_GOAL } from "../gateway-client/from-answers.ts";
import { GATE_RULE } from "../gateway-client/gate.ts";
import { distill } from "../pipeline/distill.ts";
import { formatSummaryTable } from "../report/table.ts";
import { DATA_FLAGS, dataOptions, numberFlag, parse, runCli, stringFlag, UsageError } from "./args.ts";
import { FROM_GATEWAY_FLAGS, fromGatewayMain } from "./from-gateway.ts";
import { distillOptions, RECIPE_FLAGS } from "./options.ts";
import { quietProgress, terminalProgress } from "./progress.ts";

const USAGE = `Usage: npm run distill -- --data <file> --name <name> [--out models/<name>] [options]
       npm run distill -- --from-gateway <url> --name <name> [--teacher models/<name>] [options]
       npm run distill -- --from-gateway <url> --name <name> [--data FILE] [--labels FILE] [options]

Data:      --data FILE | --train FILE [--val FILE] [--test FILE]   --format clinc|jsonl|csv|tsv
           --text-col NAME|INDEX --label-col NAME|INDEX --val-fraction F --test-fraction F
Routing:   --target-teacher-rate R (default 0.25) | --target-retention Q (share of teacher accuracy)
Distill:   --kd-temperature T (default 2) --kd-alpha A (default 0.3) --augment N (default 2)
Teacher:   --teacher-members N --teacher-dim D --teacher-buckets B --teacher-epochs E --teacher-dtype T
           --teacher-bits 2..8 (int8 levels used, default 8)
Student:   --student-dim D --student-buckets B --student-epochs E --student-dtype float32|float16|int8
           --student-bits 2..8 (default 4)
Other:     --oos-max-in-scope-drop F (default 0.003) --seed N (default 42) --version V --quiet

Re-distillation from a running gateway (a new student only, from the existing teacher package):
  --from-gateway URL   pull the model's hard examples (GET /admin/hard-examples) and merge them with
                       the base data (--data etc.; default: the data the package at --teacher was
                       trained on): logged texts learn from the teacher's logged probabilities (a
                       one-hot of its label when it logged none); degraded records without a teacher
                       answer are skipped; a text in the base data keeps its gold label; texts of the
                       val/test splits are never trained on
  --teacher DIR        the package whose teacher/ teaches (default models/<name>); a teacher dir works too

Re-distillation from the teacher's logged answers alone (no --teacher and no models/<name>/teacher,
or --answers-only): logged texts learn the teacher's probabilities where it logged them, its label
otherwise; --data adds labelled examples (gold labels, every split). A stable hash of the record id
holds out a slice of the records, never trained on, where the temperature, the routing threshold
(agreement with the teacher) and the gate (new vs live student at equal teacher rate) are fitted.
  --answers-only       ignore a local teacher package
  --labels FILE        the label set (JSON array or one per line); default: the live model's
                       (GET /v1/models/<name>), else the registry's, else the labels the records name
  --holdout F          share of records held out (default ${DEFAULT_HOLDOUT_FRACTION})
  --keep-agreement Q   routing target: keep ≥ Q (0 < Q ≤ 1) of the teacher's answers at the lowest
                       teacher rate (default ${DEFAULT_ROUTING_GOAL.keepAgreement}), Q met by the agreement's
                       one-sided ${100 * AGREEMENT_CONFIDENCE}% lower bound on the slice, not its point estimate
  --max-teacher-rate R routing target instead: send ≤ R (0 ≤ R ≤ 1) of the traffic to the teacher,
                       keeping as many of its answers as possible. Either way every record weighs
                       1 / P(logged); max-prob, margin, entropy and a learned deferral are fitted on the
                       slice, shown side by side, and the best one is shipped
  --live-package DIR   the live student's package (default runs/<name>/<live version>, models/<name>);
                       else downloaded from the gateway's registry; with neither the gate refuses
  --admin-token T      admin bearer token (default: env ADMIN_TOKEN; at least 32 characters)
  --since ISO          only records logged at or after this time
  --publish            upload the package (PUT /admin/models/<name>/versions/<version>) and promote it
  --canary P           promote as a canary taking P% (1–99) of the traffic instead of making it live
  --force              publish even when the evaluation gate refuses
  --gate-tolerance A   accuracy drop the gate forgives at a teacher rate not higher (default 0.002)
  --out DIR            default runs/<name>/<version>
  --version V          default: the next patch above the live version and every uploaded one
                       (1.0.0 live → 1.0.1); a UTC timestamp when the live one is not x.y.z

${GATE_RULE}

With the teacher's logged answers alone: ${EQUAL_RATE_GATE_RULE}
`;

const FLAGS = { ...DATA_FLAGS, ...RECIPE_FLAGS, ...FROM_GATEWAY_FLAGS } as const;

async function main(): Promise<void> {
  const flags = parse(process.argv.slice(2), FLAGS);
  if (flags.help) {
    process.stdout.write(USAGE);
    return;
  }
  const seed = numberFlag(flags, "seed") ?? 42;
  if (stringFlag(flags, "from-gateway") !== undefined) return fromGatewayMain(flags, seed);
  for (const flag of Object.keys(FROM_GATEWAY_FLAGS))
    if (flags[flag] !== undefined && flags[flag] !== false)
      throw new UsageError(`--${flag} goes with --from-gateway`);
  const options = distillOptions(flags, seed);
  const data = dataOptions(flags, seed);
  if (!data) throw new UsageError("give --data FILE or --train FILE");
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
