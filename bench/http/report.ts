import { mdTable } from "../../src/distill/report/md.ts";
import { STAGES, type Stage } from "../../src/gateway/stages.ts";
import type { Machine } from "../common/machine.ts";
import { sectionMarkers } from "../common/section.ts";
import { type ColdSamples, summariseSamples } from "./cold.ts";
import type { ColdIsolateSample, FirstRequest } from "./cold-isolate.ts";
import type { LoadResult } from "./load.ts";
import { TRAFFIC, type Traffic } from "./traffic.ts";

export const MARKERS = sectionMarkers("http");
export const COLD_STAGES = ["none", "init", "runtime", "session", "answer", "answerUnoptimised"] as const;
/** The bench Worker's path for each stage (bench/http/cold-worker.ts). */
export const COLD_STAGE_PATHS: Record<(typeof COLD_STAGES)[number], string> = {
  none: "/?upto=none",
  init: "/?upto=init",
  runtime: "/?upto=runtime",
  session: "/?upto=session",
  answer: "/?upto=answer",
  answerUnoptimised: "/?upto=answer&opt=disabled",
};

export interface HttpResults {
  command: string;
  date: string;
  machine: Machine;
  /** os.loadavg() (1, 5, 15 min) when the run started and ended: the machine is shared. */
  load: { atStart: number[]; atEnd: number[] };
  settings: {
    durationS: number;
    warmupS: number;
    roundSeconds: number;
    rounds: number;
    coldSamples: number;
    teacherLatencyMs: number;
    seed: number;
    vars: Record<string, string>;
    model: string;
    mixTexts: number;
    before: { ref: string; commit: string } | null;
  };
  /** False when the Worker's own socket could not be found (every row went through the proxy). */
  direct: boolean;
  cold: {
    firstAnswer: Record<string, ColdSamples>;
    /** Without wrangler dev: the classify as the isolate's first request, and after /healthz. */
    isolate: ColdIsolateSample[];
    stages: Record<string, ColdSamples>;
    /** workerd's CPU time (ms) per stage sample, where /proc could tell. */
    stageCpuMs?: Record<string, number[]>;
  };
  runs: ({ traffic: Traffic; connections: number } & LoadResult)[];
  targets: ({ connections: number } & Record<"direct" | "proxy" | "live", LoadResult>)[];
  stages: Record<"live" | "all" | "none" | Stage, LoadResult>;
  beforeAfter: ({ connections: number } & Record<
    "before" | "after" | "liveBefore" | "liveAfter",
    LoadResult
  >)[];
}

const fmt = (x: number, d = 0) => x.toFixed(d);
const ms = (x: number) => `${fmt(x, x < 10 ? 1 : 0)} ms`;
const us = (x: number) => `${fmt(x * 1000)} µs`;
/** Time per request at one connection (a closed loop): 1 / throughput. */
const perRequestMs = (r: LoadResult) => 1000 / r.requestsPerSec;
const loads = (l: number[]) => l.map((x) => x.toFixed(2)).join(" / ");

function throughputTable(r: HttpResults): string {
  return mdTable(
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
}

function targetsTable(r: HttpResults): string {
  const rows = r.targets.flatMap((t) => [
    [
      `**the Worker's own workerd socket**, student only`,
      String(t.connections),
      `**${fmt(t.direct.requestsPerSec)}**`,
      ms(t.direct.latencyMs.p50),
      ms(t.direct.latencyMs.p99),
      "1.00",
    ],
    [
      "through `wrangler dev`'s proxy, student only",
      String(t.connections),
      fmt(t.proxy.requestsPerSec),
      ms(t.proxy.latencyMs.p50),
      ms(t.proxy.latencyMs.p99),
      fmt(t.proxy.requestsPerSec / t.direct.requestsPerSec, 2),
    ],
    [
      "trivial route `GET /v2/health/live`, own socket",
      String(t.connections),
      fmt(t.live.requestsPerSec),
      ms(t.live.latencyMs.p50),
      ms(t.live.latencyMs.p99),
      fmt(t.live.requestsPerSec / t.direct.requestsPerSec, 2),
    ],
  ]);
  return mdTable(["Target", "Connections", "Requests/s", "p50", "p99", "÷ own socket"], rows, [
    "left",
    "right",
    "right",
    "right",
    "right",
    "right",
  ]);
}

const STAGE_TEXT: Record<Stage, string> = {
  parse: "parse/validate (JSON.parse of the body, the zod request schema)",
  featurise: "featurise (normalise, n-grams, hashing)",
  inference: "inference (onnxruntime-web session.run, tensors in and out)",
  routing: "routing (softmax/score, threshold, who answers)",
  telemetry: "telemetry/logging, all of it (metrics, usage, hard-example log, evidence, answer trail)",
  trail: "of which the answer trail alone (for feedback by request id: batched KV writes, redaction, JSON)",
};

function stagesTable(r: HttpResults): string {
  const s = r.stages;
  const all = perRequestMs(s.all);
  const overhead = all - perRequestMs(s.live);
  const share = (x: number) => `${fmt((100 * x) / overhead)}%`;
  const rows = STAGES.map((stage) => {
    const cost = all - perRequestMs(s[stage]);
    return [STAGE_TEXT[stage], fmt(s[stage].requestsPerSec), us(cost), share(cost)];
  });
  const rest = perRequestMs(s.none) - perRequestMs(s.live);
  return mdTable(
    ["Stage replayed instead of done", "Requests/s", "Cost per answer", "Share of the overhead"],
    [
      ["none (a student answer, as served)", fmt(s.all.requestsPerSec), "—", "—"],
      ...rows,
      [
        "all of them (what is left: routing in Hono, middleware, body read, response JSON)",
        fmt(s.none.requestsPerSec),
        us(rest),
        share(rest),
      ],
      [
        "trivial route `GET /v2/health/live`",
        fmt(s.live.requestsPerSec),
        `**${us(overhead)}** overhead above it`,
        "100%",
      ],
    ],
    ["left", "right", "right", "right"],
  );
}

function beforeAfterTable(r: HttpResults): string {
  const b = r.settings.before;
  if (!b || r.beforeAfter.length === 0) return "_No `--before REF` in this run._";
  // Time per answer is 1 / throughput only in a closed loop of one connection.
  const overhead = (x: HttpResults["beforeAfter"][number]) => {
    if (x.connections !== 1) return "—";
    const before = perRequestMs(x.before) - perRequestMs(x.liveBefore);
    const after = perRequestMs(x.after) - perRequestMs(x.liveAfter);
    return `${us(before)} → **${us(after)}** (${fmt(after / before, 2)}×)`;
  };
  return mdTable(
    [
      "Connections",
      `Before (${b.ref}, ${b.commit.slice(0, 10)}) req/s`,
      "After req/s",
      "After ÷ before",
      "Overhead above `GET /v2/health/live`, before → after",
      "p50 before → after",
      "p99 before → after",
    ],
    r.beforeAfter.map((x) => [
      String(x.connections),
      fmt(x.before.requestsPerSec),
      fmt(x.after.requestsPerSec),
      `**${fmt(x.after.requestsPerSec / x.before.requestsPerSec, 2)}×**`,
      overhead(x),
      `${ms(x.before.latencyMs.p50)} → ${ms(x.after.latencyMs.p50)}`,
      `${ms(x.before.latencyMs.p99)} → ${ms(x.after.latencyMs.p99)}`,
    ]),
    ["right", "right", "right", "right", "right", "right", "right"],
  );
}

const COLD_TEXT: Record<(typeof COLD_STAGES)[number], string> = {
  none: "nothing (a fresh isolate's request itself)",
  init: "onnxruntime-web's runtime initialised, no session (WASM instance, its initialisers, `OrtInit`)",
  runtime: "onnxruntime-web started (WASM instance, its initialisers, a one-node graph's session)",
  session: "and the CLINC150 student's InferenceSession created",
  answer: "and its first run on one text",
  answerUnoptimised: 'the same with `graphOptimizationLevel: "disabled"` (both graphs)',
};

const FIRST_TEXT: Record<FirstRequest, string> = {
  classify: "the classify is the isolate's first request",
  healthz: "the classify follows a `GET /healthz`",
};

const median = (xs: number[]) => summariseSamples(xs).median;

/** The cold first answers without wrangler dev, per first request (bench/http/cold-isolate.ts). */
export function isolateTable(samples: readonly ColdIsolateSample[]): string {
  return mdTable(
    [
      "Fresh isolate (Miniflare, built bundle)",
      "Samples",
      "Median",
      "Max",
      "workerd CPU: start",
      "workerd CPU: classify",
      "Sessions open before any request",
    ],
    (["classify", "healthz"] as FirstRequest[]).map((first) => {
      const of = samples.filter((x) => x.first === first);
      const cpu = (pick: (x: ColdIsolateSample) => number | null) => {
        const known = of.map(pick).filter((x): x is number => x !== null);
        return known.length ? ms(median(known)) : "—";
      };
      const wall = summariseSamples(of.map((x) => x.firstAnswerMs));
      const open = of.filter((x) => x.sessionsOpen !== null);
      return [
        FIRST_TEXT[first],
        String(of.length),
        of.length ? `**${ms(wall.median)}**` : "—",
        of.length ? ms(wall.max) : "—",
        cpu((x) => x.startCpuMs),
        cpu((x) => x.answerCpuMs),
        open.length ? `${open.filter((x) => x.sessionsOpen).length} of ${open.length}` : "(not asked)",
      ];
    }),
    ["left", "right", "right", "right", "right", "right", "right"],
  );
}

/** The cold-only run's printout (`npm run bench:http -- --cold-only`). */
export function renderCold(
  firstAnswer: Record<string, number[]>,
  isolate: readonly ColdIsolateSample[],
  stages: Record<string, number[]>,
  stageCpuMs: Record<string, number[]>,
  load: { atStart: number[]; atEnd: number[] },
): string {
  const r = {
    settings: { before: null },
    cold: {
      firstAnswer: Object.fromEntries(Object.entries(firstAnswer).map(([k, v]) => [k, summariseSamples(v)])),
      isolate: [...isolate],
      stages: Object.fromEntries(Object.entries(stages).map(([k, v]) => [k, summariseSamples(v)])),
      stageCpuMs,
    },
  };
  return [
    `Load average (1/5/15 min) ${loads(load.atStart)} at the start, ${loads(load.atEnd)} at the end.`,
    "",
    coldTables(r),
  ].join("\n");
}

function coldTables(
  r: Pick<HttpResults, "cold"> & { settings: Pick<HttpResults["settings"], "before"> },
): string {
  const first = mdTable(
    ["Gateway entry", "Samples", "Median", "Max"],
    Object.entries(r.cold.firstAnswer).map(([name, c]) => [
      name === "after" ? "this commit" : `before (${r.settings.before?.ref ?? "?"})`,
      String(c.samples.length),
      `**${ms(c.median)}**`,
      ms(c.max),
    ]),
    ["left", "right", "right", "right"],
  );
  const stages = mdTable(
    ["First request of a fresh isolate does", "Median", "Max", "workerd CPU (median)"],
    COLD_STAGES.map((stage) => {
      const c = r.cold.stages[stage];
      const cpu = r.cold.stageCpuMs?.[stage] ?? [];
      return [
        COLD_TEXT[stage],
        c ? ms(c.median) : "—",
        c ? ms(c.max) : "—",
        cpu.length ? ms(median(cpu)) : "—",
      ];
    }),
    ["left", "right", "right", "right"],
  );
  return [
    first,
    "",
    "The same without `wrangler dev` (`bench/http/cold-isolate.ts`: the bundle `wrangler deploy` would upload, a fresh Miniflare per sample with wrangler.toml's bindings), with the classify as the isolate's very first request and after `/healthz`; workerd's CPU time from /proc (10 ms ticks) while it started (module scope, the warm-up included) and while it answered:",
    "",
    isolateTable(r.cold.isolate),
    "",
    "Where the time goes when none of it is moved off the request (`bench/http/cold-worker.ts`, the gateway's own session code, one fresh workerd per sample):",
    "",
    stages,
  ].join("\n");
}

export function renderSection(r: HttpResults, jsonPath: string): string {
  const m = r.machine;
  const packages = Object.entries(m.packages)
    .map(([name, version]) => `${name} ${version}`)
    .join(", ");
  const s = r.settings;
  const vars = Object.entries(s.vars)
    .map(([k, v]) => `\`${k}=${v}\``)
    .join(", ");
  return [
    MARKERS.start,
    "## Gateway over HTTP (`npm run bench:http`)",
    "",
    `\`${r.command}\` — ${r.date}, ${m.nproc} × ${m.cpu}, Node ${m.node}, ${packages}${m.commit ? `, commit ${m.commit.slice(0, 10)}` : ""}. Load average (1/5/15 min) ${loads(r.load.atStart)} at the start, ${loads(r.load.atEnd)} at the end: the machine is shared, so compare figures within this run (ratios), not across runs.`,
    "",
    `The gateway runs under \`wrangler dev\` on loopback with its own state directory, and the figures are taken on **the Worker's own workerd socket**${r.direct ? "" : " (not found in this run: every row went through the proxy)"}: wrangler starts the Worker in its own workerd and puts a proxy Worker in front on the port it prints; production has no such proxy, so the proxy is only the second row. The Worker is \`src/gateway/bench-entry.ts\`: src/gateway/index.ts as deployed, plus a request header naming stages to replay (src/gateway/stages.ts), read by that entry only. The teacher server emulates a remote model (\`latencyMs: ${s.teacherLatencyMs}\`); vars ${vars}. autocannon drives \`POST /v1/classify\` (model \`${s.model}\`, one text per request) after a ${s.warmupS} s warm-up, ${s.durationS} s per row in the first table; the comparisons run their variants interleaved, ${s.rounds} rounds of ${s.roundSeconds} s each, so the load falls on all alike. The mix replays the ${s.mixTexts} CLINC150 test texts in a seeded random order (seed ${s.seed}).`,
    "",
    "**Caveat:** the client, the gateway and the teacher share one 2-core machine over loopback: these figures measure the gateway's own overhead and the relative cost of its paths, not Cloudflare's edge.",
    "",
    "### Throughput and latency (the Worker's own socket)",
    "",
    throughputTable(r),
    "",
    "### Own socket, dev proxy and a trivial route",
    "",
    targetsTable(r),
    "",
    "### What a student answer costs above a trivial route, by stage",
    "",
    "One connection, so time per answer is 1 ÷ throughput; a stage's cost is the time it gives back when replayed (its result for the same input computed once, then reused), since workerd's clock does not advance while a request computes.",
    "",
    stagesTable(r),
    "",
    "### Overhead before/after (student only, own sockets, interleaved)",
    "",
    beforeAfterTable(r),
    "",
    "Both sides are warmed up first, so this is steady-state overhead; what moved the cold start is in the next table. Each side's trivial route runs in the same rounds, so the overhead column (one connection: time per answer is 1 ÷ throughput) compares what each side's own code costs above it. Interleaving evens out the load's drift, not its noise: read a ratio within about ±20% of 1 as no change at the load above.",
    "",
    "### Cold first answer",
    "",
    `A fresh \`wrangler dev\` (so a fresh workerd and isolate) per sample, ready when \`/healthz\` answers; then one student-only \`POST /v1/classify\` on the Worker's own socket, timed from Node. ${s.coldSamples} samples per entry, alternating.`,
    "",
    coldTables(r),
    "",
    `Raw figures: [${jsonPath}](${jsonPath}). The Worker's upload size is \`npm run build\`'s ([below](#worker-bundle-npm-run-build)).`,
    MARKERS.end,
  ].join("\n");
}
