/**
 * `npm run bench:http`: the gateway over HTTP on loopback, on the Worker's own workerd socket (the
 * headline: production has no dev proxy) and through `wrangler dev`'s proxy (second row), with the
 * teacher server emulating a remote model (50 ms), teacher cache and audits off so every request does
 * real work. In one run: student-only, teacher-always and the CLINC150 test set shuffled at 1, 16 and 64
 * connections; what a student answer costs above a trivial route, split by stage (src/gateway/bench-entry.ts
 * replays one stage at a time, variants interleaved round by round); before/after against another commit
 * (--before REF, a git worktree, interleaved likewise); the cold first answer (a fresh workerd per sample)
 * and where its time goes (bench/http/cold-worker.ts). The bundle's size is `npm run build`'s (bench/bundle.ts). Flags: --duration S (5),
 * --warmup S (3), --round-seconds S (3), --rounds N (3), --cold-samples N (5), --before REF (none),
 * --latency-ms N (50), --seed N (42), --markdown FILE (BENCHMARKS.md), --json FILE (bench/results/http.json),
 * --cold-only (only the cold first answers and their breakdown, printed and written to
 * bench/results/http-cold.json; BENCHMARKS.md untouched).
 */
import { writeFile } from "node:fs/promises";
import { loadavg } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { mulberry32, shuffleInPlace } from "../src/core/random.ts";
import { loadDataset } from "../src/distill/data/index.ts";
import { LoadOptionsSchema } from "../src/distill/data/options.ts";
import { loadPackage } from "../src/distill/package/files.ts";
import { STAGES, STAGES_OFF_HEADER, type Stage } from "../src/gateway/stages.ts";
import { freePort, type Stack, startStack } from "../src/stack.ts";
import { directGatewayUrl } from "./common/direct-socket.ts";
import { progressLog } from "./common/log.ts";
import { provenance } from "./common/machine.ts";
import { scratch } from "./common/scratch.ts";
import { writeReport } from "./common/section.ts";
import { type BeforeTree, checkoutBefore } from "./http/before.ts";
import { coldWorker, summariseSamples } from "./http/cold.ts";
import { coldFirstAnswers } from "./http/cold-gateway.ts";
import { type ColdIsolateSample, coldIsolate, type FirstRequest } from "./http/cold-isolate.ts";
import { interleaved, load } from "./http/load.ts";
import {
  COLD_STAGE_PATHS,
  COLD_STAGES,
  type HttpResults,
  MARKERS,
  renderCold,
  renderSection,
} from "./http/report.ts";
import { classifyRequests, LIVE_REQUESTS, type Traffic } from "./http/traffic.ts";

const MODEL_DIR = "models/clinc150";
const CONCURRENCY = [1, 16, 64] as const;
const BENCH_ENTRY = "src/gateway/bench-entry.ts";

const args = process.argv.slice(2);
const { values: flags } = parseArgs({
  args,
  options: {
    duration: { type: "string", default: "5" },
    warmup: { type: "string", default: "3" },
    "round-seconds": { type: "string", default: "3" },
    rounds: { type: "string", default: "3" },
    "cold-samples": { type: "string", default: "5" },
    before: { type: "string" },
    "cold-only": { type: "boolean", default: false },
    "latency-ms": { type: "string", default: "50" },
    seed: { type: "string", default: "42" },
    markdown: { type: "string", default: "BENCHMARKS.md" },
    json: { type: "string", default: "bench/results/http.json" },
  },
});
type IntFlag = "duration" | "warmup" | "round-seconds" | "rounds" | "cold-samples" | "latency-ms" | "seed";
const intFlag = (name: IntFlag, min: number): number => {
  const value = Number(flags[name]);
  if (!Number.isInteger(value) || value < min) throw new Error(`--${name} must be an integer ≥ ${min}`);
  return value;
};
const settings = {
  durationS: intFlag("duration", 1),
  warmupS: intFlag("warmup", 0),
  roundSeconds: intFlag("round-seconds", 1),
  rounds: intFlag("rounds", 1),
  coldSamples: intFlag("cold-samples", 1),
  teacherLatencyMs: intFlag("latency-ms", 0),
  seed: intFlag("seed", 0),
};
const { log } = progressLog();

// Request logs off: under wrangler dev every console.log line is shipped from workerd to wrangler's Node
// process (35–45% of student-path throughput at 16 connections here); Cloudflare collects logs outside
// the request path.
const VARS = { TEACHER_CACHE_TTL_S: "0", AUDIT_RATE: "0", LOG_REQUESTS: "false" };

/** A stack and its Worker's own socket (the proxy URL where /proc cannot tell it: then both rows agree). */
async function started(stack: Stack): Promise<{ direct: string; proxy: string }> {
  const port = Number(new URL(stack.gatewayUrl).port);
  const direct = stack.pid === undefined ? null : await directGatewayUrl(stack.pid, port);
  if (!direct) log("the Worker's own socket was not found: every row goes through the dev proxy");
  return { direct: direct ?? stack.gatewayUrl, proxy: stack.gatewayUrl };
}

const space = await scratch("http");
let before: BeforeTree | null = null;
let beforeStack: Stack | null = null;
try {
  const pkg = await loadPackage(MODEL_DIR);
  const dataOptions = LoadOptionsSchema.safeParse(pkg.manifest.training.data);
  if (!dataOptions.success) throw new Error(`${MODEL_DIR}: manifest training.data is not loadable`);
  const dataset = await loadDataset(dataOptions.data);
  const texts = shuffleInPlace(
    dataset.test.map((e) => e.text),
    mulberry32(settings.seed),
  );
  const model = pkg.manifest.name;
  const loadAtStart = loadavg();

  if (flags.before) {
    before = await checkoutBefore(flags.before, join(space.dir, "before"));
    log(`before: ${before.ref} (${before.commit.slice(0, 10)}) in a git worktree`);
  }

  log(`cold first answers: ${settings.coldSamples} fresh workerd per entry`);
  const coldEntries: Record<string, string | undefined> = { after: undefined };
  if (before) coldEntries.before = before.entry;
  const coldAnswers = await coldFirstAnswers(coldEntries, settings.coldSamples, space.dir, model, VARS);
  log(
    "cold first answers without wrangler dev: classify first, and after /healthz (bench/http/cold-isolate.ts)",
  );
  const isolates = await coldIsolate(VARS);
  const isolateSamples: ColdIsolateSample[] = [];
  try {
    for (let i = 0; i < settings.coldSamples; i++)
      for (const first of ["classify", "healthz"] as FirstRequest[])
        isolateSamples.push(await isolates.sample(model, first));
  } finally {
    await isolates.dispose();
  }
  log("cold start breakdown (bench/http/cold-worker.ts)");
  const cold = await coldWorker();
  const coldStages: Record<string, number[]> = Object.fromEntries(COLD_STAGES.map((s) => [s, []]));
  const coldStageCpu: Record<string, number[]> = Object.fromEntries(COLD_STAGES.map((s) => [s, []]));
  try {
    for (let i = 0; i < settings.coldSamples; i++)
      for (const stage of COLD_STAGES) {
        const { ms, cpuMs } = await cold.firstRequest(COLD_STAGE_PATHS[stage]);
        coldStages[stage]?.push(ms);
        if (cpuMs !== null) coldStageCpu[stage]?.push(cpuMs);
      }
  } finally {
    await cold.dispose();
  }

  if (flags["cold-only"]) {
    const cold = {
      ...provenance("bench:http", args, ["wrangler", "onnxruntime-web"]),
      load: { atStart: loadAtStart, atEnd: loadavg() },
      firstAnswer: coldAnswers,
      isolate: isolateSamples,
      stages: coldStages,
      stageCpuMs: coldStageCpu,
    };
    await writeFile("bench/results/http-cold.json", `${JSON.stringify(cold, null, 2)}\n`);
    console.log(renderCold(cold.firstAnswer, isolateSamples, coldStages, coldStageCpu, cold.load));
    // Nothing else was started: clean up as the finally below would, and stop here.
    await space.cleanup();
    await before?.remove();
    process.exit(0);
  }

  log("starting the gateway (bench entry) and, with --before, the earlier commit's");
  const stack = await space.startStack({
    teacher: { latencyMs: settings.teacherLatencyMs },
    vars: VARS,
    entry: BENCH_ENTRY,
  });
  const urls = await started(stack);
  if (before) {
    const port = await freePort();
    beforeStack = await startStack({
      port,
      teacher: { port: await freePort(), latencyMs: settings.teacherLatencyMs },
      vars: VARS,
      entry: before.entry,
      persistTo: join(space.dir, "state-before"),
      stdio: process.env.BENCH_VERBOSE ? "inherit" : "ignore",
      readyTimeoutMs: 120_000,
    });
  }
  const beforeUrl = beforeStack ? (await started(beforeStack)).direct : null;

  const student = (headers?: Record<string, string>) => classifyRequests("student", model, texts, headers);
  if (settings.warmupS > 0) {
    log(`warming up (${settings.warmupS} s per traffic kind)`);
    for (const traffic of ["student", "teacher", "mix"] as const)
      await load({
        url: urls.direct,
        connections: 8,
        seconds: settings.warmupS,
        requests: classifyRequests(traffic, model, texts),
      });
    if (beforeUrl)
      await load({ url: beforeUrl, connections: 8, seconds: settings.warmupS, requests: student() });
  }

  const runs: HttpResults["runs"] = [];
  for (const traffic of ["student", "teacher", "mix"] as Traffic[])
    for (const connections of CONCURRENCY) {
      const run = await load({
        url: urls.direct,
        connections,
        seconds: settings.durationS,
        requests: classifyRequests(traffic, model, texts),
      });
      runs.push({ traffic, connections, ...run });
      log(
        `${traffic.padEnd(7)} c=${String(connections).padStart(2)}: ${run.requestsPerSec.toFixed(0)} req/s, p50 ${run.latencyMs.p50} ms, p99 ${run.latencyMs.p99} ms, non-2xx ${run.non2xx}`,
      );
    }

  const { roundSeconds, rounds } = settings;
  const targets: HttpResults["targets"] = [];
  for (const connections of [1, 16]) {
    log(`socket vs proxy vs trivial route, c=${connections}`);
    const r = await interleaved(
      {
        direct: { url: urls.direct, requests: student() },
        proxy: { url: urls.proxy, requests: student() },
        live: { url: urls.direct, requests: LIVE_REQUESTS },
      },
      connections,
      roundSeconds,
      rounds,
    );
    targets.push({ connections, ...r });
  }

  log("stages: each replayed in turn, c=1");
  const stageVariants = Object.fromEntries([
    ["live", { url: urls.direct, requests: LIVE_REQUESTS }],
    ["all", { url: urls.direct, requests: student() }],
    ...STAGES.map((s) => [s, { url: urls.direct, requests: student({ [STAGES_OFF_HEADER]: s }) }]),
    ["none", { url: urls.direct, requests: student({ [STAGES_OFF_HEADER]: STAGES.join(",") }) }],
  ]) as Record<"live" | "all" | "none" | Stage, { url: string; requests: ReturnType<typeof student> }>;
  const stages = await interleaved(stageVariants, 1, roundSeconds, rounds);

  const beforeAfter: HttpResults["beforeAfter"] = [];
  if (before && beforeUrl)
    for (const connections of [1, 16]) {
      log(`before/after, c=${connections}`);
      // The trivial route on each side too, so each side's overhead above it is measured in the same rounds.
      const r = await interleaved(
        {
          after: { url: urls.direct, requests: student() },
          before: { url: beforeUrl, requests: student() },
          liveAfter: { url: urls.direct, requests: LIVE_REQUESTS },
          liveBefore: { url: beforeUrl, requests: LIVE_REQUESTS },
        },
        connections,
        roundSeconds,
        rounds,
      );
      beforeAfter.push({ connections, ...r });
    }

  const results: HttpResults = {
    ...provenance("bench:http", args, ["autocannon", "wrangler", "hono", "onnxruntime-web", "zod"]),
    load: { atStart: loadAtStart, atEnd: loadavg() },
    settings: {
      ...settings,
      vars: VARS,
      model,
      mixTexts: texts.length,
      before: before ? { ref: before.ref, commit: before.commit } : null,
    },
    direct: urls.direct !== urls.proxy,
    cold: {
      firstAnswer: Object.fromEntries(Object.entries(coldAnswers).map(([k, v]) => [k, summariseSamples(v)])),
      isolate: isolateSamples,
      stages: Object.fromEntries(Object.entries(coldStages).map(([k, v]) => [k, summariseSamples(v)])),
      stageCpuMs: coldStageCpu,
    },
    runs,
    targets,
    stages,
    beforeAfter,
  };
  await writeReport(flags, MARKERS, results, (json) => renderSection(results, json));
  log(`wrote ${flags.json} and the bench:http section of ${flags.markdown}`);
} finally {
  await beforeStack?.stop();
  await space.cleanup();
  await before?.remove();
}
