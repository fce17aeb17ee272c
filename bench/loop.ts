/**
 * `npm run bench:loop`: the re-distillation loop measured end to end on a fresh local stack
 * (see bench/loop/run.ts for the loop, BENCHMARKS.md for what it found). Flags: --rounds N (3),
 * --every N (1000), --fraction F (0.1), --retention Q (0.99), --target-teacher-rate R (0.25),
 * --batch N (64), --student-epochs N (10), --augment N (2), --audit-rate A (0.02), --max-minutes M (14),
 * --markdown FILE (BENCHMARKS.md), --json FILE (bench/results/loop.json), --svg FILE (bench/results/loop.svg).
 */
import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { loadTeacherPackage } from "../src/distill/pipeline/teacher-package.ts";
import { freePort, startStack } from "../src/stack.ts";
import { provenance } from "./common/machine.ts";
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
    batch: { type: "string", default: "64" },
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
const elapsed = () => `${((Date.now() - began) / 1000).toFixed(0).padStart(4)} s`;
const log = (line: string) => process.stderr.write(`[${elapsed()}] ${line}\n`);
const progress = {
  stage: (message: string) => log(`  ${message}`),
  epochs: () => ({ update: () => {} }),
  done: () => {},
};

const workDir = await mkdtemp(join(tmpdir(), "apprentice-loop-"));
const token = randomBytes(32).toString("base64url");
log(`starting a fresh stack (state in ${workDir})`);
const stack = await startStack({
  port: await freePort(),
  teacher: { port: await freePort() },
  adminToken: token,
  persistTo: join(workDir, "state"),
  // Registry pointers re-read every second (default 10 s) so each promotion is live before traffic resumes.
  vars: { REGISTRY_TTL_MS: "1000", AUDIT_RATE: String(num("audit-rate")) },
  stdio: process.env.BENCH_VERBOSE ? "inherit" : "ignore",
  readyTimeoutMs: 120_000,
});
const stop = async (code: number) => {
  await stack.stop();
  await rm(workDir, { recursive: true, force: true });
  process.exit(code);
};
process.on("SIGINT", () => void stop(130));
process.on("SIGTERM", () => void stop(143));

try {
  const data = await loopData("datasets/clinc150/data_full.json", num("fraction"), 42);
  const teacher = await loadTeacherPackage("models/clinc150/teacher");
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
    wallSeconds: (Date.now() - began) / 1000,
  };
  await writeLoopReport(results, { markdown: flags.markdown, json: flags.json, svg: flags.svg });
  log(`wrote ${flags.markdown}, ${flags.json} and ${flags.svg}`);
  await stop(0);
} catch (error) {
  log(`failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  await stop(1);
}
