/**
 * `npm run bench:budget`: how far a teacher budget can be overshot under concurrency. One fresh local stack
 * (`wrangler dev`, the TEACHER_BUDGET Durable Object run by miniflare, the teacher server with an emulated
 * latency), TEACHER_BUDGET_PER_HOUR set for every model, the answer cache and audits off; then, per round,
 * `--connections` client loops send `--requests` requests with `options.teacher: "always"` as fast as they
 * are answered, so every text asks the budget. Round 1: CLINC150, one text per request. Round 2: SMS spam,
 * batches of 1 to 4 texts. The overshoot is the texts the teacher answered minus the budget, checked
 * against the counter's own figure (GET /admin/stats). Exits 1 if any round overshoots, if a request
 * failed, or if a round straddled a UTC hour (rerun then). Flags: --budget N (200), --connections N (64),
 * --requests N (1000), --latency-ms N (20), --markdown FILE (BENCHMARKS.md), --json FILE
 * (bench/results/budget.json).
 */

import { parseArgs } from "node:util";
import { z } from "zod";
import { mdTable } from "../src/distill/report/md.ts";
import { progressLog } from "./common/log.ts";
import { type Machine, provenance } from "./common/machine.ts";
import { exitAfter, scratch } from "./common/scratch.ts";
import { sectionMarkers, writeReport } from "./common/section.ts";

const MARKERS = sectionMarkers("budget");
const HOUR_MS = 3_600_000;

const args = process.argv.slice(2);
const { values: flags } = parseArgs({
  args,
  options: {
    budget: { type: "string", default: "200" },
    connections: { type: "string", default: "64" },
    requests: { type: "string", default: "1000" },
    "latency-ms": { type: "string", default: "20" },
    markdown: { type: "string", default: "BENCHMARKS.md" },
    json: { type: "string", default: "bench/results/budget.json" },
  },
});
const intFlag = (name: "budget" | "connections" | "requests" | "latency-ms", min: number): number => {
  const value = Number(flags[name]);
  if (!Number.isInteger(value) || value < min) throw new Error(`--${name} must be an integer ≥ ${min}`);
  return value;
};
const settings = {
  budget: intFlag("budget", 1),
  connections: intFlag("connections", 1),
  requests: intFlag("requests", 1),
  latencyMs: intFlag("latency-ms", 0),
};
const { log } = progressLog();

const Answers = z.object({
  results: z.array(z.object({ source: z.string(), reason: z.string().optional() })),
});
const Stats = z.object({
  budget: z.object({ hour: z.object({ used: z.number(), refused: z.number() }) }).nullable(),
});

interface Round {
  model: string;
  batch: string;
  requests: number;
  texts: number;
  /** Texts the teacher answered: what the budget granted. */
  teacher: number;
  /** Texts the student answered, degraded with reason budget. */
  refused: number;
  /** Anything else: other degradations, non-200 answers, network errors. */
  other: number;
  /** The counter's own figures for the hour (GET /admin/stats). */
  counterUsed: number;
  counterRefused: number;
  overshoot: number;
  seconds: number;
  requestsPerS: number;
  straddledHour: boolean;
}

interface Tally {
  teacher: number;
  refused: number;
  other: number;
}

async function send(url: string, model: string, texts: string[], tally: Tally): Promise<void> {
  try {
    const res = await fetch(`${url}/v1/classify`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ model, texts, options: { teacher: "always" } }),
      signal: AbortSignal.timeout(60_000),
    });
    const body = await res.text();
    if (res.status !== 200) {
      tally.other += texts.length;
      return;
    }
    for (const r of Answers.parse(JSON.parse(body)).results) {
      if (r.source === "teacher") tally.teacher += 1;
      else if (r.reason === "budget") tally.refused += 1;
      else tally.other += 1;
    }
  } catch {
    tally.other += texts.length;
  }
}

async function round(
  url: string,
  adminToken: string,
  model: string,
  batchOf: (i: number) => number,
  batch: string,
): Promise<Round> {
  const tally: Tally = { teacher: 0, refused: 0, other: 0 };
  let next = 0;
  let texts = 0;
  const hour = Math.floor(Date.now() / HOUR_MS);
  const started = performance.now();
  // `connections` loops, each sending its next request as soon as the last is answered.
  await Promise.all(
    Array.from({ length: settings.connections }, async () => {
      for (let i = next++; i < settings.requests; i = next++) {
        const n = batchOf(i);
        texts += n;
        const batchTexts = Array.from({ length: n }, (_, j) => `budget bench ${model} ${i}.${j} free prize`);
        await send(url, model, batchTexts, tally);
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  const straddledHour = Math.floor(Date.now() / HOUR_MS) !== hour;
  const res = await fetch(`${url}/admin/stats?model=${model}&hours=1`, {
    headers: { authorization: `Bearer ${adminToken}` },
  });
  const stats = Stats.parse(await res.json());
  const counter = stats.budget?.hour ?? { used: Number.NaN, refused: Number.NaN };
  return {
    model,
    batch,
    requests: settings.requests,
    texts,
    ...tally,
    counterUsed: counter.used,
    counterRefused: counter.refused,
    overshoot: tally.teacher - settings.budget,
    seconds,
    requestsPerS: settings.requests / seconds,
    straddledHour,
  };
}

interface Results {
  command: string;
  date: string;
  machine: Machine;
  settings: typeof settings;
  rounds: Round[];
}

function render(results: Results, jsonLink: string): string {
  const { machine, settings: s } = results;
  const rows = results.rounds.map((r) => [
    `\`${r.model}\``,
    r.batch,
    String(r.requests),
    String(r.texts),
    String(s.budget),
    String(r.teacher),
    String(r.counterUsed),
    String(r.refused),
    String(r.other),
    String(r.overshoot),
    r.requestsPerS.toFixed(0),
  ]);
  return [
    MARKERS.start,
    "## Teacher budget under concurrency (`npm run bench:budget`)",
    "",
    `Command: \`${results.command}\` (${results.date}; ${machine.nproc} × ${machine.cpu}, Node ${machine.node}, wrangler ${machine.packages.wrangler ?? "?"}, commit ${machine.commit?.slice(0, 7) ?? "?"}). Raw figures: [${jsonLink}](${jsonLink}).`,
    "",
    `A fresh local stack (\`wrangler dev\`, the \`TEACHER_BUDGET\` Durable Object in miniflare, the teacher server at ${s.latencyMs} ms), \`TEACHER_BUDGET_PER_HOUR=${s.budget}\`, cache and audits off; ${s.connections} client loops send ${s.requests} requests per round with \`"teacher": "always"\`, each the moment its last one is answered. *Teacher* is the texts the teacher answered (what the budget granted), *counter* what the Durable Object booked for the hour (\`GET /admin/stats\`), *refused* the texts answered by the student with \`"reason": "budget"\`, *other* anything else (failures). Overshoot = teacher − budget; the stated tolerance is 0 ([architecture.md](docs/architecture.md#teacher-budgets)).`,
    "",
    mdTable(
      [
        "model",
        "texts per request",
        "requests",
        "texts",
        "budget",
        "teacher",
        "counter",
        "refused",
        "other",
        "overshoot",
        "requests/s",
      ],
      rows,
      ["left", "right", "right", "right", "right", "right", "right", "right", "right", "right", "right"],
    ),
    "",
    "With one text per request the budget is spent exactly; with batches a request that does not fit what is left is refused whole (reservations are all or nothing), so a few texts of the budget may stay unspent, never more than the largest batch minus one. Locally `wrangler dev` runs the Worker in one workerd process; in production the isolates differ but every one reaches the model's single Durable Object by the same RPC, and it is that object's one-event-at-a-time turn, measured here, that keeps the count.",
    MARKERS.end,
  ].join("\n");
}

const space = await scratch("budget");
await exitAfter(space, log, async () => {
  log(`starting a fresh stack (state in ${space.dir})`);
  const stack = await space.startStack({
    teacher: { latencyMs: settings.latencyMs },
    vars: {
      TEACHER_BUDGET_PER_HOUR: String(settings.budget),
      TEACHER_CACHE_TTL_S: "0",
      AUDIT_RATE: "0",
      TEACHER_MAX_CONCURRENCY: "1024",
      TEACHER_TIMEOUT_MS: "30000",
    },
  });
  const rounds: Round[] = [];
  for (const [model, batchOf, batch] of [
    ["clinc150", () => 1, "1"],
    ["sms-spam", (i: number) => 1 + (i % 4), "1–4"],
  ] as const) {
    log(`${model}: ${settings.requests} requests over ${settings.connections} connections`);
    const r = await round(stack.gatewayUrl, stack.adminToken, model, batchOf, batch);
    log(
      `${model}: teacher ${r.teacher} (counter ${r.counterUsed}), refused ${r.refused}, other ${r.other}, overshoot ${r.overshoot}, ${r.requestsPerS.toFixed(0)} requests/s`,
    );
    rounds.push(r);
  }
  const results: Results = {
    ...provenance("bench:budget", args, ["wrangler", "hono", "zod"]),
    settings,
    rounds,
  };
  const ok = rounds.every(
    (r) => r.overshoot <= 0 && r.other === 0 && r.counterUsed === r.teacher && !r.straddledHour,
  );
  if (ok)
    await writeReport({ markdown: flags.markdown, json: flags.json }, MARKERS, results, (link) =>
      render(results, link),
    );
  else log("a round overshot, failed or straddled an hour: nothing written");
  return ok;
});
