import { resolve } from "node:path";
import { type LoadOptions, loadDataset } from "../data/index.ts";
import { evaluatePackage } from "../eval/package-eval.ts";
import { loadPackage } from "../package/files.ts";
import { formatSummaryTable } from "../report/table.ts";
import { writeReport } from "../report/write.ts";
import { DATA_FLAGS, dataOptions, numberFlag, parse, runCli, stringFlag, UsageError } from "./args.ts";

const USAGE = `Usage: npm run eval -- --model models/<name> [--json] [--report DIR] [data flags]

Evaluates a model package as shipped (its ONNX files through onnxruntime-node) on the test split of
the data it was trained on, or of another data set given with the distill data flags (--data, --train,
--test, --format, --text-col, --label-col, --dataset-name). Prints the figures and writes nothing,
unless --report DIR: then DIR/report.md and its charts too. --report <model> rewrites the package's
own report, which only its own data set may do.
`;

const FLAGS = {
  ...DATA_FLAGS,
  model: { type: "string" },
  json: { type: "boolean", default: false },
  report: { type: "string" },
} as const;

async function main(): Promise<void> {
  const flags = parse(process.argv.slice(2), FLAGS);
  if (flags.help) {
    process.stdout.write(USAGE);
    return;
  }
  const dir = stringFlag(flags, "model");
  if (!dir) throw new UsageError("--model is required");
  const reportDir = stringFlag(flags, "report");
  const pkg = await loadPackage(dir);
  const override = dataOptions(flags, numberFlag(flags, "seed") ?? pkg.manifest.training.seed);
  // The package's report describes its own test split: another data set's figures go elsewhere.
  if (override && reportDir !== undefined && resolve(reportDir) === resolve(dir))
    throw new UsageError("--report: the package's own report is for its own data set; give another folder");
  const recorded = pkg.manifest.training.data as LoadOptions | undefined;
  const data = override ?? recorded;
  if (!data) throw new UsageError(`${dir} does not record its data set: give --data`);
  const dataset = await loadDataset(data);
  const { summary, details } = await evaluatePackage(pkg, dataset);
  if (reportDir !== undefined) await writeReport(reportDir, summary, details);
  process.stdout.write(flags.json ? `${JSON.stringify(summary)}\n` : `${formatSummaryTable(summary)}\n`);
}

await runCli(main, USAGE);
