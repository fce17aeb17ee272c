/**
 * `npm run bench:http`: the gateway over HTTP on loopback, measured with autocannon against one fresh local
 * stack (the teacher server emulating a remote model with 50 ms latency, the teacher cache and audits off so
 * every request does real work): student-only traffic, teacher-always traffic and the CLINC150 test set
 * replayed in a seeded random order (teacher mode auto), each at concurrency 1, 16 and 64; the cold start
 * (spawning `wrangler dev` to the first 200 of /v1/classify) and the Worker bundle size from
 * `wrangler deploy --dry-run`. Flags: --duration S (8 per run), --warmup S (3), --latency-ms N (50),
 * --seed N (42), --markdown FILE (BENCHMARKS.md), --json FILE (bench/results/http.json).
 */

import { readdir, readFile, stat } from "node:fs/promises";
import { join, relative } from "node:path";
import { parseArgs } from "node:util";
import { gzipSync } from "node:zlib";
import autocannon from "autocannon";
import { mulberry32, shuffleInPlace } from "../src/core/random.ts";
import { loadDataset } from "../src/distill/data/index.ts";
import { LoadOptionsSchema } from "../src/distill/data/options.ts";
import { loadPackage } from "../src/distill/package/files.ts";
import { bytes } from "../src/distill/report/format.ts";
import { mdTable } from "../src/distill/report/md.ts";
import { buildWorkerBundle } from "./common/bundle.ts";
import { progressLog } from "./common/log.ts";
import { type Machine, provenance } from "./common/machine.ts";
import { scratch } from "./common/scratch.ts";
import { sectionMarkers, writeReport } from "./common/section.ts";

const MODEL_DIR = "models/clinc150";
const CONCURRENCY = [1, 16, 64] as const;
const MARKERS = sectionMarkers("http");

const args = process.argv.slice(2);
const { values: flags } = parseArgs({
  args,
  options: {
    duration: { type: "string", default: "8" },
    warmup: { type: "string", default: "3" },
    "latency-ms": { type: "string", default: "50" },
    seed: { type: "string", default: "42" },
    markdown: { type: "string", default: "BENCHMARKS.md" },
    json: { type: "string", default: "bench/results/http.json" },
  },
});
const intFlag = (name: "duration" | "warmup" | "latency-ms" | "seed", min: number): number => {
  const value = Number(flags[name]);
  if (!Number.isInteger(value) || value < min) throw new Error(`--${name} must be an integer ≥ ${min}`);
  return value;
};
const duration = intFlag("duration", 1);
const warmup = intFlag("warmup", 0);
const latencyMs = intFlag("latency-ms", 0);
const seed = intFlag("seed", 0);

const { log } = progressLog();

type Traffic = "student" | "teacher" | "mix";
const TRAFFIC: Record<Traffic, string> = {
  student: 'student only (`options.teacher: "never"`)',
  teacher: 'teacher always (`options.teacher: "always"`)',
  mix: "CLINC150 test set, shuffled (teacher auto)",
};

interface RunResult {
  traffic: Traffic;
  connections: number;
  durationS: number;
  requests: number;
  requestsPerSec: number;
  latencyMs: { p50: number; p99: number; mean: number; max: number };
  ok2xx: number;
  non2xx: number;
  errors: number;
  timeouts: number;
}

interface BundleFile {
  path: string;
  bytes: number;
  gzipBytes: number;
}

interface HttpResults {
  command: string;
  date: string;
  machine: Machine;
  settings: {
    durationS: number;
    warmupS: number;
    teacherLatencyMs: number;
    seed: number;
    vars: Record<string, string>;
    model: string;
    mixTexts: number;
  };
  coldStart: {
    /** startStack called → ready on /healthz (includes the local D1 migrations run before the spawn). */
    stackStartMs: number;
    /** `wrangler dev` spawned → first 200 of /healthz (as startStack polls it, every 250 ms). */
    spawnToHealthzMs: number;
    /** The first /v1/classify request alone (student path), sent right after /healthz answered. */
    firstClassifyMs: number;
    /** `wrangler dev` spawned → first 200 of /v1/classify. */
    spawnToFirstClassifyMs: number;
  };
  bundle: { bytes: number; gzipBytes: number; files: BundleFile[] };
  runs: RunResult[];
  /** Student-path requests/s over teacher-only requests/s, per concurrency. */
  ratios: { connections: number; studentOverTeacher: number }[];
}

const HEADERS = { "content-type": "application/json" };

function requestsFor(traffic: Traffic, model: string, texts: readonly string[]): autocannon.Request[] {
  if (traffic !== "mix") {
    const body = JSON.stringify({
      model,
      text: "what is my account balance",
      options: { teacher: traffic === "student" ? "never" : "always" },
    });
    return [{ method: "POST", path: "/v1/classify", headers: HEADERS, body }];
  }
  // One shared cursor over the shuffled test set: every connection takes the next text.
  let cursor = 0;
  return [
    {
      method: "POST",
      path: "/v1/classify",
      headers: HEADERS,
      setupRequest: (request) => {
        const text = texts[cursor % texts.length] ?? "hello";
        cursor++;
        return { ...request, body: JSON.stringify({ model, text, options: { teacher: "auto" } }) };
      },
    },
  ];
}

async function measure(
  url: string,
  traffic: Traffic,
  connections: number,
  seconds: number,
  model: string,
  texts: readonly string[],
): Promise<RunResult> {
  const result = await autocannon({
    url,
    connections,
    duration: seconds,
    timeout: 10,
    requests: requestsFor(traffic, model, texts),
  });
  return {
    traffic,
    connections,
    durationS: result.duration,
    requests: result.requests.total,
    requestsPerSec: result.requests.total / result.duration,
    latencyMs: {
      p50: result.latency.p50,
      p99: result.latency.p99,
      mean: result.latency.average,
      max: result.latency.max,
    },
    ok2xx: result["2xx"],
    non2xx: result.non2xx,
    errors: result.errors,
    timeouts: result.timeouts,
  };
}

async function listFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...(await listFiles(path)));
    else if (entry.isFile()) out.push(path);
  }
  return out.sort();
}

/** The Worker bundle as `wrangler deploy --dry-run --outdir` writes it: every file, raw and gzipped. */
async function bundleSize(workDir: string): Promise<HttpResults["bundle"]> {
  const outdir = join(workDir, "bundle");
  await buildWorkerBundle(outdir);
  const files: BundleFile[] = [];
  for (const path of await listFiles(outdir)) {
    const data = await readFile(path);
    files.push({
      path: relative(outdir, path),
      bytes: (await stat(path)).size,
      gzipBytes: gzipSync(data).length,
    });
  }
  return {
    bytes: files.reduce((s, f) => s + f.bytes, 0),
    gzipBytes: files.reduce((s, f) => s + f.gzipBytes, 0),
    files,
  };
}

const fmt = (x: number, d = 0) => x.toFixed(d);
const ms = (x: number) => `${fmt(x, x < 10 ? 1 : 0)} ms`;

function renderSection(r: HttpResults, jsonPath: string): string {
  const m = r.machine;
  const packages = Object.entries(m.packages)
    .map(([name, version]) => `${name} ${version}`)
    .join(", ");
  const runTable = mdTable(
    ["Traffic", "Connections", "Requests/s", "p50", "p99", "Requests", "Non-2xx", "Errors"],
    r.runs.map((run) => [
      TRAFFIC[run.traffic],
      String(run.connections),
      fmt(run.requestsPerSec),
      ms(run.latencyMs.p50),
      ms(run.latencyMs.p99),
      String(run.requests),
      String(run.non2xx),
      String(run.errors),
    ]),
    ["left", "right", "right", "right", "right", "right", "right", "right"],
  );
  const ratioTable = mdTable(
    ["Connections", "Student-only req/s", "Teacher-only req/s", "Student ÷ teacher"],
    r.ratios.map((q) => {
      const s = r.runs.find((run) => run.traffic === "student" && run.connections === q.connections);
      const t = r.runs.find((run) => run.traffic === "teacher" && run.connections === q.connections);
      return [
        String(q.connections),
        fmt(s?.requestsPerSec ?? 0),
        fmt(t?.requestsPerSec ?? 0),
        `**${fmt(q.studentOverTeacher, 1)}×**`,
      ];
    }),
    ["right", "right", "right", "right"],
  );
  const bundleTable = mdTable(
    ["File", "Raw", "Gzipped"],
    [
      ...r.bundle.files.map((f) => [`\`${f.path}\``, bytes(f.bytes), bytes(f.gzipBytes)]),
      ["**Total**", `**${bytes(r.bundle.bytes)}**`, `**${bytes(r.bundle.gzipBytes)}**`],
    ],
    ["left", "right", "right"],
  );
  const c = r.coldStart;
  const s = r.settings;
  const vars = Object.entries(s.vars)
    .map(([k, v]) => `\`${k}=${v}\``)
    .join(", ");
  return [
    MARKERS.start,
    "## Gateway over HTTP (`npm run bench:http`)",
    "",
    `\`${r.command}\` — ${r.date}, ${m.nproc} × ${m.cpu}, Node ${m.node}, ${packages}${m.commit ? `, commit ${m.commit.slice(0, 10)}` : ""}.`,
    "",
    `One fresh local stack (\`wrangler dev\` on loopback, its own state directory) with the teacher server emulating a remote model (\`latencyMs: ${s.teacherLatencyMs}\`), vars ${vars} so no answer comes from the teacher cache, no audit call rides along, and no JSON request log line is shipped from workerd to wrangler's Node process (locally that costs 35–45% of student-path throughput at 16 connections; on Cloudflare logs are collected outside the request path). After a ${s.warmupS} s warm-up, autocannon (programmatic API) drives \`POST /v1/classify\` (model \`${s.model}\`, one text per request) for ${s.durationS} s per row, one row at a time. The mix replays the ${s.mixTexts} CLINC150 test texts (in-scope and out-of-scope) in a seeded random order (seed ${s.seed}); the gateway decides per text whether to ask the teacher.`,
    "",
    "**Caveat:** the client, the gateway (workerd under `wrangler dev`) and the teacher share one 2-core machine over loopback, so these figures measure the gateway's own overhead and the relative cost of its paths, not Cloudflare's edge, its network or a real remote teacher.",
    "",
    "### Throughput and latency",
    "",
    runTable,
    "",
    "### Headline: student path ÷ teacher-only path",
    "",
    ratioTable,
    "",
    "### Cold start",
    "",
    mdTable(
      ["Measure", "Time"],
      [
        ["`wrangler dev` spawned → first 200 of `/healthz` (polled every 250 ms)", ms(c.spawnToHealthzMs)],
        ["First `/v1/classify` alone (student path, right after `/healthz`)", ms(c.firstClassifyMs)],
        ["**`wrangler dev` spawned → first 200 of `/v1/classify`**", `**${ms(c.spawnToFirstClassifyMs)}**`],
        [
          "`startStack` called → ready (adds the local D1 migrations run before the spawn)",
          ms(c.stackStartMs),
        ],
      ],
      ["left", "right"],
    ),
    "",
    "Local `wrangler dev` start-up (bundling, workerd boot, model load on first request), not a deployed isolate's cold start.",
    "",
    "### Worker bundle (`wrangler deploy --dry-run --outdir`)",
    "",
    bundleTable,
    "",
    `Gzip with node:zlib defaults, per file, summed. Raw figures: [${jsonPath}](${jsonPath}).`,
    MARKERS.end,
  ].join("\n");
}

const space = await scratch("http");

try {
  const pkg = await loadPackage(MODEL_DIR);
  const dataOptions = LoadOptionsSchema.safeParse(pkg.manifest.training.data);
  if (!dataOptions.success) throw new Error(`${MODEL_DIR}: manifest training.data is not loadable`);
  const dataset = await loadDataset(dataOptions.data);
  const texts = shuffleInPlace(
    dataset.test.map((e) => e.text),
    mulberry32(seed),
  );
  const model = pkg.manifest.name;

  log("bundling the Worker (wrangler deploy --dry-run)");
  const bundle = await bundleSize(space.dir);
  log(`bundle ${bytes(bundle.bytes)} raw, ${bytes(bundle.gzipBytes)} gzipped`);

  // Request logs off: under wrangler dev every console.log line is shipped from workerd to wrangler's
  // Node process, which measured 35–45% of student-path throughput at 16 connections on this machine;
  // on Cloudflare logs are collected outside the request path.
  const vars = { TEACHER_CACHE_TTL_S: "0", AUDIT_RATE: "0", LOG_REQUESTS: "false" };
  log("starting a fresh stack");
  const t0 = performance.now();
  let spawnedAt = Number.NaN;
  const stack = await space.startStack({
    teacher: { latencyMs },
    vars,
    onSpawn: () => {
      spawnedAt = performance.now();
    },
  });
  const ready = performance.now();
  const response = await fetch(`${stack.gatewayUrl}/v1/classify`, {
    method: "POST",
    headers: HEADERS,
    body: JSON.stringify({ model, text: "what is my account balance", options: { teacher: "never" } }),
  });
  await response.text();
  const firstClassify = performance.now();
  if (response.status !== 200) throw new Error(`first /v1/classify answered ${response.status}`);
  const coldStart = {
    stackStartMs: ready - t0,
    spawnToHealthzMs: ready - spawnedAt,
    firstClassifyMs: firstClassify - ready,
    spawnToFirstClassifyMs: firstClassify - spawnedAt,
  };
  log(`cold start: spawn → first classify ${ms(coldStart.spawnToFirstClassifyMs)}`);

  if (warmup > 0) {
    log(`warming up (${warmup} s per traffic kind)`);
    for (const traffic of ["student", "teacher", "mix"] as const)
      await measure(stack.gatewayUrl, traffic, 8, warmup, model, texts);
  }

  const runs: RunResult[] = [];
  for (const traffic of ["student", "teacher", "mix"] as const) {
    for (const connections of CONCURRENCY) {
      const run = await measure(stack.gatewayUrl, traffic, connections, duration, model, texts);
      runs.push(run);
      log(
        `${traffic.padEnd(7)} c=${String(connections).padStart(2)}: ${fmt(run.requestsPerSec).padStart(5)} req/s, p50 ${run.latencyMs.p50} ms, p99 ${run.latencyMs.p99} ms, non-2xx ${run.non2xx}, errors ${run.errors}`,
      );
    }
  }
  const ratios = CONCURRENCY.map((connections) => {
    const s = runs.find((r) => r.traffic === "student" && r.connections === connections);
    const t = runs.find((r) => r.traffic === "teacher" && r.connections === connections);
    return {
      connections,
      studentOverTeacher: s && t && t.requestsPerSec > 0 ? s.requestsPerSec / t.requestsPerSec : 0,
    };
  });

  const results: HttpResults = {
    ...provenance("bench:http", args, ["autocannon", "wrangler", "hono", "onnxruntime-web", "zod"]),
    settings: {
      durationS: duration,
      warmupS: warmup,
      teacherLatencyMs: latencyMs,
      seed,
      vars,
      model,
      mixTexts: texts.length,
    },
    coldStart,
    bundle,
    runs,
    ratios,
  };
  await writeReport(flags, MARKERS, results, (json) => renderSection(results, json));
  log(`wrote ${flags.json} and the bench:http section of ${flags.markdown}`);
  for (const q of ratios) log(`student ÷ teacher at c=${q.connections}: ${fmt(q.studentOverTeacher, 1)}×`);
} finally {
  await space.cleanup();
}
