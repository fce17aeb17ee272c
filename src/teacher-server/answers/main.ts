import { mkdir, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import {
  DATA_FLAGS,
  dataOptions,
  numberFlag,
  parse,
  runCli,
  stringFlag,
  UsageError,
} from "../../distill/cli/args.ts";
import { BUNDLED_DATASETS, dataFileOf, loadDataset } from "../../distill/data/index.ts";
import { readTeacherPackage } from "../../distill/package/teacher.ts";
import { TeacherModel } from "../model.ts";
import { answerJsonLine } from "./file.ts";
import { synthesiseAnswers } from "./synthesise.ts";

const USAGE = `Usage: npm run answers -- --data <name|file> --model <name|dir> --out <file.jsonl> [options]

Writes the answers of a teacher of a chosen accuracy on every text of a labelled data set (all
splits), for \`npm run teacher -- --answers <model>=<file>\`. Deterministic per text: a seeded hash
of the normalised text decides which texts are answered wrongly, and a wrong answer is the label the
local teacher (models/<model>/teacher) ranks highest after gold, not random noise. Each line is
{"text", "label", "probs"}, probs peaked on the answer with most of the rest on that other label.

Options:
  --data <name|file>   ${Object.keys(BUNDLED_DATASETS).join(" or ")} (datasets/), or a data file as \`npm run distill\` reads it;
                       --format, --text-col, --label-col as for distill
  --model <name|dir>   the model whose labels and local teacher are used (a name means models/<name>)
  --accuracy <a>       share of the examples answered with their gold label, in (0, 1] (default 0.97)
  --seed <n>           seed of the hash that picks the wrong texts (default 1)
  --out <file>         where to write the JSONL answers
  --quiet              no summary
  -h, --help           show this help
`;

const FLAGS = {
  ...DATA_FLAGS,
  model: { type: "string" },
  accuracy: { type: "string" },
  out: { type: "string" },
} as const;

function modelDir(model: string): string {
  return /[/\\]/.test(model) ? model : join("models", model);
}

async function main(): Promise<void> {
  const flags = parse(process.argv.slice(2), FLAGS);
  if (flags.help) {
    process.stdout.write(USAGE);
    return;
  }
  const model = stringFlag(flags, "model");
  const out = stringFlag(flags, "out");
  if (!model) throw new UsageError("--model is required");
  if (!out) throw new UsageError("--out is required");
  const accuracy = numberFlag(flags, "accuracy") ?? 0.97;
  if (!(accuracy > 0 && accuracy <= 1)) throw new UsageError("--accuracy must be in (0, 1]");
  const seed = numberFlag(flags, "seed") ?? 1;
  if (!Number.isInteger(seed) || seed < 0) throw new UsageError("--seed must be a whole number ≥ 0");
  const data = stringFlag(flags, "data");
  const options = dataOptions({ ...flags, ...(data ? { data: dataFileOf(data) } : {}) }, seed);
  if (!options) throw new UsageError("--data (or --train) is required");

  const dataset = await loadDataset(options);
  const teacher = await TeacherModel.create(await readTeacherPackage(modelDir(model)));
  try {
    const { lines, stats } = await synthesiseAnswers(
      [...dataset.train, ...dataset.val, ...dataset.test],
      teacher,
      { accuracy, seed },
    );
    await mkdir(dirname(out), { recursive: true });
    await writeFile(out, lines.map((line) => `${answerJsonLine(line)}\n`).join(""));
    if (flags.quiet) return;
    const pct = (x: number) => `${(100 * x).toFixed(2)}%`;
    process.stdout.write(
      [
        `wrote ${out}: ${stats.texts} texts (${stats.examples} examples of ${dataset.name}), model ${teacher.name}`,
        `  accuracy against gold: ${pct(stats.accuracy)} (target ${pct(accuracy)}), ${stats.wrongTexts} texts answered wrongly`,
        `  wrong answers that are the local teacher's runner-up: ${pct(stats.runnerUpShare)}; its own (wrong) answer: ${pct(stats.modelAnswerShare)}`,
        "",
      ].join("\n"),
    );
  } finally {
    await teacher.release();
  }
}

await runCli(main, USAGE);
