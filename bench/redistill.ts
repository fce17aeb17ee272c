/**
 * `npm run bench:redistill`: how long re-distillation from logged teacher answers alone takes (the
 * `npm run distill -- --from-gateway URL --name X` path without a local teacher) at a given number of
 * logged records. A fresh local stack, a teacher-only model whose teacher replays recorded answers
 * (97% accurate, `npm run answers`'s synthesiser), N texts of CLINC150 sent through POST /v1/classify
 * in batches so the gateway logs every answer; once the queue consumer has indexed them, the timed part:
 * pull the records, train, calibrate, route, evaluate and write the package (not uploaded).
 */
import { join } from "node:path";
import { parseArgs } from "node:util";
import { DEFAULT_HOLDOUT_FRACTION } from "../src/core/holdout.ts";
import { GatewayClient } from "../src/distill/gateway-client/client.ts";
import {
  DEFAULT_ROUTING_GOAL,
  distillFromTeacherAnswers,
} from "../src/distill/gateway-client/from-answers.ts";
import { DEFAULT_GATE_TOLERANCE } from "../src/distill/gateway-client/gate.ts";
import { ANSWERS_DEFAULTS } from "../src/distill/pipeline/config.ts";
import { SILENT } from "../src/distill/pipeline/progress.ts";
import { defineTeacherOnlyModel, recordAnswers } from "./bootstrap/setup.ts";
import { answerLookup, normalised, sendWindow, shuffledStream } from "./bootstrap/stream.ts";
import { progressLog } from "./common/log.ts";
import { loadAverage, provenance } from "./common/machine.ts";
import { exitAfter, scratch } from "./common/scratch.ts";
import { sectionMarkers, writeReport } from "./common/section.ts";
import { waitForIndex } from "./loop/stream.ts";

const { values: flags } = parseArgs({
  options: {
    records: { type: "string", default: "20000" },
    "budget-s": { type: "string", default: "20" },
    batch: { type: "string", default: "32" },
    "in-flight": { type: "string", default: "4" },
    markdown: { type: "string", default: "BENCHMARKS.md" },
    json: { type: "string", default: "bench/results/redistill.json" },
  },
});
const records = Number(flags.records);
const budgetSeconds = Number(flags["budget-s"]);
const { log, seconds } = progressLog();
const space = await scratch("redistill");
const model = "clinc150-answers";

await exitAfter(space, log, async () => {
  const answersFile = join(space.dir, "answers.jsonl");
  const recorded = await recordAnswers("clinc150", 0.97, answersFile);
  const stream = shuffledStream(recorded.examples, 42).slice(0, records);
  log(`recorded answers for ${recorded.examples.length} texts; starting the stack`);
  const stack = await space.startStack({
    // Filling the log is not what is timed: a generous teacher deadline keeps a busy machine from failing it.
    // The log keeps at most HARD_EXAMPLES_PER_HOUR records per model and hour (10,000 by default).
    vars: { TEACHER_TIMEOUT_MS: "60000", HARD_EXAMPLES_PER_HOUR: String(2 * records) },
    teacher: { answers: [{ model: "clinc150", file: answersFile }] },
  });
  const client = new GatewayClient(stack.gatewayUrl, stack.adminToken);
  await defineTeacherOnlyModel(client, model, recorded.labels, { url: stack.teacher.url, model: "clinc150" });
  const sendStarted = performance.now();
  const sending = { batch: Number(flags.batch), inFlight: Number(flags["in-flight"]) };
  await sendWindow(client, model, stream, answerLookup(recorded.lines), sending);
  const distinct = new Set(stream.map((e) => normalised(e.text))).size;
  log(
    `sent ${stream.length} texts (${distinct} distinct) in ${((performance.now() - sendStarted) / 1000).toFixed(0)} s`,
  );
  const indexed = await waitForIndex(client, model, distinct, 600_000, log);
  log(`${indexed} records indexed; re-distilling`);

  const started = performance.now();
  const result = await distillFromTeacherAnswers(
    {
      url: stack.gatewayUrl,
      token: stack.adminToken,
      distill: { name: model, seed: 7, ...ANSWERS_DEFAULTS, quiet: true },
      holdout: DEFAULT_HOLDOUT_FRACTION,
      goal: DEFAULT_ROUTING_GOAL,
      labels: null,
      labelled: [],
      out: join(space.dir, "student"),
      publish: false,
      force: false,
      gateTolerance: DEFAULT_GATE_TOLERANCE,
      provenance: { bench: "bench:redistill" },
    },
    SILENT,
    log,
  );
  const redistillSeconds = (performance.now() - started) / 1000;
  const { summary } = result.result;
  const figures = {
    ...provenance("bench:redistill", process.argv.slice(2), ["onnxruntime-node", "wrangler", "zod"]),
    loadAverage: loadAverage(),
    records: indexed,
    trainedOn: result.result.pkg.manifest.training.logged,
    heldOut: summary.n_test,
    redistillSeconds,
    budgetSeconds,
    studentAgreement: summary.student.accuracy,
    cascadeAgreement: summary.cascade.accuracy,
    teacherRate: summary.cascade.teacher_rate,
    wallSeconds: seconds(),
  };
  log(`re-distilled from ${indexed} records in ${redistillSeconds.toFixed(1)} s (budget ${budgetSeconds} s)`);
  await writeReport(
    { markdown: flags.markdown, json: flags.json },
    sectionMarkers("redistill"),
    figures,
    (link) => render(figures, link),
  );
  return redistillSeconds <= budgetSeconds;
});

function render(
  f: {
    command: string;
    date: string;
    machine: { nproc: number; cpu: string; node: string; commit: string | null };
    loadAverage: number[];
    records: number;
    trainedOn: unknown;
    heldOut: number;
    redistillSeconds: number;
    budgetSeconds: number;
    studentAgreement: number;
    cascadeAgreement: number;
    teacherRate: number;
  },
  jsonLink: string,
): string {
  const { start, end } = sectionMarkers("redistill");
  const pct = (x: number) => `${(100 * x).toFixed(1)}%`;
  return [
    start,
    "## Re-distillation from logged answers (`npm run bench:redistill`)",
    "",
    `\`${f.command}\` — ${f.date}, ${f.machine.nproc} × ${f.machine.cpu}, Node ${f.machine.node}, commit ${f.machine.commit ?? "unknown"}; load average ${f.loadAverage.join(" / ")} after the run.`,
    "",
    "A fresh local stack; a teacher-only CLINC150 model whose teacher replays recorded 97%-accurate answers; texts sent through `POST /v1/classify` in batches until the gateway has logged and indexed them. Timed: the `--from-gateway` path without a local teacher (`distillFromTeacherAnswers`): pull the records, train the student on two cores, calibrate and route on the held-out slice, evaluate, write the package (not uploaded).",
    "",
    "| logged records | trained on | held out | re-distillation | budget | student agreement | cascade agreement | teacher rate |",
    "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    `| ${f.records} | ${String(f.trainedOn)} | ${f.heldOut} | **${f.redistillSeconds.toFixed(1)} s** | ${f.budgetSeconds} s | ${pct(f.studentAgreement)} | ${pct(f.cascadeAgreement)} | ${pct(f.teacherRate)} |`,
    "",
    `Raw figures: [${jsonLink}](${jsonLink}).`,
    end,
  ].join("\n");
}
