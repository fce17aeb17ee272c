/**
 * `npm run bench:bootstrap`: a model that starts from its label set and a remote teacher alone, fed a
 * shuffled data set once, re-distilled from its logged teacher answers every N records (the streaming
 * protocol of Online Cascade Learning and Cache & Distil). Reports per window of the stream.
 */
import { join } from "node:path";
import { parseArgs } from "node:util";
import { GatewayClient } from "../src/distill/gateway-client/client.ts";
import { AGREEMENT_CONFIDENCE } from "../src/distill/gateway-client/from-answers.ts";
import type { RedistilContext } from "./bootstrap/redistil.ts";
import { writeBootstrapReport } from "./bootstrap/report.ts";
import { runStream } from "./bootstrap/run.ts";
import { defineTeacherOnlyModel, recordAnswers } from "./bootstrap/setup.ts";
import { answerLookup, shuffledStream } from "./bootstrap/stream.ts";
import { runOf, targets } from "./bootstrap/windows.ts";
import { progressLog } from "./common/log.ts";
import { provenance } from "./common/machine.ts";
import { exitAfter, scratch } from "./common/scratch.ts";

/** The gateway's teacher deadline in this bench (TEACHER_TIMEOUT_MS). */
const TEACHER_DEADLINE_MS = 5000;

const USAGE = `npm run bench:bootstrap -- [flags]
  --data clinc150|sms-spam     data set streamed (default clinc150)
  --accuracy A                 the recorded teacher's accuracy against gold (default 0.97)
  --every N                    window size and new records between re-distillations (default 1000)
  --latency-ms MS              the teacher's added latency (default 300)
  --keep-agreement Q           routing target: agreement with the teacher (default 0.97)
  --agreement-confidence C     one-sided confidence of the agreement's lower bound that must reach Q
                               on the held-out slice (default ${AGREEMENT_CONFIDENCE})
  --batch B, --in-flight K     texts per request, requests in flight (default 16, 4)
  --seed S                     stream shuffle seed (default 42)
  --max-minutes M              no new window after M minutes (default 40)
  --markdown FILE              where the section goes (default BENCHMARKS.md)
  --json FILE, --svg FILE      raw figures and plot (default bench/results/<section>.json|svg)
Each data set and teacher accuracy writes its own section: bootstrap for CLINC150 with the 97%
teacher (the run the issue's targets are for), bootstrap-<data>-<accuracy %> otherwise.`;

const { values: flags } = parseArgs({
  options: {
    data: { type: "string", default: "clinc150" },
    accuracy: { type: "string", default: "0.97" },
    every: { type: "string", default: "1000" },
    "latency-ms": { type: "string", default: "300" },
    "keep-agreement": { type: "string", default: "0.97" },
    "agreement-confidence": { type: "string", default: String(AGREEMENT_CONFIDENCE) },
    batch: { type: "string", default: "16" },
    "in-flight": { type: "string", default: "4" },
    seed: { type: "string", default: "42" },
    "max-minutes": { type: "string", default: "40" },
    markdown: { type: "string", default: "BENCHMARKS.md" },
    json: { type: "string" },
    svg: { type: "string" },
    help: { type: "boolean", default: false },
  },
});
if (flags.help) {
  console.log(USAGE);
  process.exit(0);
}
const num = (name: keyof typeof flags): number => {
  const value = Number(flags[name]);
  if (!Number.isFinite(value)) throw new Error(`--${name} must be a number`);
  return value;
};
const data = flags.data;
if (data !== "clinc150" && data !== "sms-spam") throw new Error("--data must be clinc150 or sms-spam");
const run = runOf(data, num("accuracy"));
const paths = {
  markdown: flags.markdown,
  json: flags.json ?? `bench/results/${run.section}.json`,
  svg: flags.svg ?? `bench/results/${run.section}.svg`,
};

const began = Date.now();
const deadline = began + num("max-minutes") * 60_000;
const { log, seconds } = progressLog();
const space = await scratch("bootstrap");
const model = `${data}-bootstrap`;
const every = num("every");
const keepAgreement = num("keep-agreement");
const agreementConfidence = num("agreement-confidence");

await exitAfter(space, log, async () => {
  const answersFile = join(space.dir, "answers.jsonl");
  const recorded = await recordAnswers(data, num("accuracy"), answersFile);
  log(`${recorded.examples.length} texts, recorded teacher ${(100 * recorded.accuracy).toFixed(2)}% right`);
  const stack = await space.startStack({
    // Registry pointers re-read every second (default 10 s) so each promotion is live before traffic resumes.
    // An LLM teacher's deadline, not the 1.5 s default: on a loaded 2-core machine the replaying teacher
    // can take longer than that for 16 texts, and a no-student model has nothing to fall back on.
    vars: { REGISTRY_TTL_MS: "1000", TEACHER_TIMEOUT_MS: String(TEACHER_DEADLINE_MS) },
    teacher: { latencyMs: num("latency-ms"), answers: [{ model: data, file: answersFile }] },
  });
  const client = new GatewayClient(stack.gatewayUrl, stack.adminToken);
  await defineTeacherOnlyModel(client, model, recorded.labels, { url: stack.teacher.url, model: data });
  const stream = shuffledStream(recorded.examples, num("seed"));
  const teacherAnswer = answerLookup(recorded.lines);
  const sending = { batch: num("batch"), inFlight: num("in-flight") };
  const context: RedistilContext = {
    url: stack.gatewayUrl,
    token: stack.adminToken,
    client,
    model,
    workDir: space.dir,
    goal: { keepAgreement, confidence: agreementConfidence },
    seed: 7,
    log,
  };

  const { windows, redistillations } = await runStream(context, stream, teacherAnswer, {
    every,
    sending,
    deadline,
  });
  const sentTexts = windows.reduce((n, w) => n + w.texts, 0);
  await writeBootstrapReport(
    {
      ...provenance("bench:bootstrap", process.argv.slice(2), [
        "onnxruntime-node",
        "onnxruntime-web",
        "wrangler",
        "hono",
        "zod",
      ]),
      config: {
        data,
        teacherAccuracy: recorded.accuracy,
        every,
        latencyMs: num("latency-ms"),
        keepAgreement,
        agreementConfidence,
        ...sending,
        seed: num("seed"),
        streamTexts: stream.length,
        sentTexts,
      },
      windows,
      redistillations,
      run,
      targets: targets(windows, keepAgreement),
      wallSeconds: seconds(),
    },
    paths,
  );
  log(`wrote ${paths.markdown}, ${paths.json} and ${paths.svg}`);
  return true;
});
