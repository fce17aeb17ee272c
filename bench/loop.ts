import { parseArgs } from "node:util";
import { DEFAULT_MAX_BATCH } from "../src/core/text.ts";
import { readTeacherPackage } from "../src/distill/package/teacher.ts";
import { progressLog } from "./common/log.ts";
import { provenance } from "./common/machine.ts";
import { exitAfter, scratch } from "./common/scratch.ts";
import { loopData } from "./loop/data.ts";
import { teacherOnTest } from "./loop/measure.ts";
import { writeLoopReport } from "./loop/report.ts";
import type { LoopResults } from "./loop/results.ts";
import { outcomeOf, runLoop } from "./loop/run.ts";

const { values: flags } = parseArgs({
  options: {
    rounds: { type: "string", default: "3" },
    every: { type: "string", default: "1000" },
    fraction: { type: "string", default: "0.1" },
    retention: { type: "string", default: "0.99" },
    "target-teacher-rate": { type: "string", default: "0.25" },
    // Texts per classify request: as many as the gateway takes by default.
    batch: { type: "string", default: String(DEFAULT_MAX_BATCH) },
    "student-epochs": { type: "string", default: "10" },
    augment: { type: "string", default: "2" },
    "audit-rate": { type: "string", default: "0.02" },
    "max-minutes": { type: "string", default: "14" },
    markdown: { type: "string", default: "BENCHMARKS.md" },
    json: { type: "string", default: "bench/results/loop.json" },
    svg: { type: "string", default: "bench/results/loop.svg" },
  },
});
const num = (name: keyof typeof flags): number => {
  const value = Number(flags[name]);
  if (!Number.isFinite(value)) throw new Error(`--${name} must be a number`);
  return value;
};

const began = Date.now();
const { log, seconds } = progressLog();
const progress = {
  stage: (message: string) => log(`  ${message}`),
  showsAccuracy: false,
  epochs: () => ({ update: () => {} }),
  done: () => {},
};

const space = await scratch("loop");
const workDir = space.dir;
log(`starting a fresh stack (state in ${workDir})`);
await exitAfter(space, log, async () => {
  const stack = await space.startStack({
    // Registry pointers re-read every second (default 10 s) so each promotion is live before traffic resumes.
    vars: { REGISTRY_TTL_MS: "1000", AUDIT_RATE: String(num("audit-rate")) },
  });
  const token = stack.adminToken;
  const data = await loopData("datasets/clinc150/data_full.json", num("fraction"), 42);
  const teacher = await readTeacherPackage("models/clinc150/teacher");
  const teacherTest = await teacherOnTest(teacher, data.dataset);
  log(
    `base ${data.dataset.train.length} texts, stream ${data.stream.length}, teacher test accuracy ${teacherTest.accuracy.toFixed(4)}`,
  );
  const config = {
    model: "clinc150",
    every: num("every"),
    maxRounds: num("rounds"),
    batch: num("batch"),
    retention: num("retention"),
    routing: { kind: "teacher_rate" as const, value: num("target-teacher-rate") },
    studentEpochs: num("student-epochs"),
    augment: num("augment"),
    deadline: began + num("max-minutes") * 60_000,
    workDir,
  };
  const rounds = await runLoop(
    { url: stack.gatewayUrl, token, teacher, data, teacherTest, log, progress },
    config,
  );
  const outcome = outcomeOf(rounds, 0.4);
  const results: LoopResults = {
    ...provenance("bench:loop", process.argv.slice(2), [
      "onnxruntime-node",
      "onnxruntime-web",
      "wrangler",
      "hono",
      "zod",
    ]),
    config: {
      baseFraction: num("fraction"),
      every: config.every,
      maxRounds: config.maxRounds,
      batch: config.batch,
      retention: config.retention,
      routing: config.routing,
      studentEpochs: config.studentEpochs,
      augment: config.augment,
      auditRate: num("audit-rate"),
      streamTexts: data.stream.length,
    },
    rounds,
    outcome,
    wallSeconds: seconds(),
  };
  await writeLoopReport(results, { markdown: flags.markdown, json: flags.json, svg: flags.svg });
  log(`wrote ${flags.markdown}, ${flags.json} and ${flags.svg}`);
  return true;
});
