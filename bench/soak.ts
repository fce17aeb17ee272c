/**
 * `npm run bench:soak`: a fixed open-loop request rate with about 10% escalations against a fresh local
 * stack while the teacher flaps up and down, then a check that the hard-example log holds exactly one
 * record per escalation (nothing lost, nothing doubled). Exits 1 if any request failed or the counts
 * differ. Flags: --rate N (40 requests/s), --duration S (60, at most 60), --escalate-every N (10),
 * --up-s S (4), --down-s S (4), --latency-ms N (20, the teacher's emulated latency), --drain-timeout S
 * (90), --markdown FILE (BENCHMARKS.md), --json FILE (bench/results/soak.json).
 */

import { parseArgs } from "node:util";
import { mulberry32, shuffleInPlace } from "../src/core/random.ts";
import { loadDataset } from "../src/distill/data/index.ts";
import { GatewayClient } from "../src/distill/gateway-client/client.ts";
import { directGatewayUrl } from "./common/direct-socket.ts";
import { progressLog } from "./common/log.ts";
import { provenance } from "./common/machine.ts";
import { exitAfter, scratch } from "./common/scratch.ts";
import { waitForIndex } from "./loop/stream.ts";
import { type FlapState, flapTeacher } from "./soak/flap.ts";
import { checkLog } from "./soak/log-check.ts";
import { openLoop, requestCount } from "./soak/open-loop.ts";
import { soakPasses, writeSoakReport } from "./soak/report.ts";
import { type Outcome, outcomeOf, tally } from "./soak/tally.ts";
import { isEscalated, soakText } from "./soak/texts.ts";

const MODEL = "clinc150";
const args = process.argv.slice(2);
const { values: flags } = parseArgs({
  args,
  options: {
    rate: { type: "string", default: "40" },
    duration: { type: "string", default: "60" },
    "escalate-every": { type: "string", default: "10" },
    "up-s": { type: "string", default: "4" },
    "down-s": { type: "string", default: "4" },
    "latency-ms": { type: "string", default: "20" },
    "drain-timeout": { type: "string", default: "90" },
    markdown: { type: "string", default: "BENCHMARKS.md" },
    json: { type: "string", default: "bench/results/soak.json" },
  },
});
const num = (name: keyof typeof flags, min: number, max = Number.POSITIVE_INFINITY): number => {
  const value = Number(flags[name]);
  if (!Number.isFinite(value) || value < min || value > max)
    throw new Error(`--${name} must be a number in [${min}, ${max}]`);
  return value;
};
const settings = {
  ratePerS: num("rate", 1, 1000),
  // The issue bounds the soak to 60 s of load.
  durationS: num("duration", 1, 60),
  escalateEvery: Math.round(num("escalate-every", 1)),
  teacherUpS: num("up-s", 0.5),
  teacherDownS: num("down-s", 0.5),
  teacherLatencyMs: Math.round(num("latency-ms", 0)),
  drainTimeoutS: num("drain-timeout", 10),
  model: MODEL,
  // Audits off: every record then has a request behind it. A short cooldown lets the breaker close
  // again within each up phase.
  vars: { AUDIT_RATE: "0", BREAKER_COOLDOWN_MS: "1000" },
};

const { log } = progressLog();

/** CLINC150's test texts, shuffled once: the bases the unique tags are appended to. */
async function baseTexts(): Promise<string[]> {
  const data = await loadDataset({ data: "datasets/clinc150/data_full.json", seed: 42 });
  return shuffleInPlace(
    data.test.map((e) => e.text),
    mulberry32(42),
  );
}

async function classify(
  url: string,
  text: string,
  asked: boolean,
): Promise<{ status: number; body: string }> {
  const res = await fetch(`${url}/v1/classify`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ model: MODEL, text, options: { teacher: asked ? "always" : "never" } }),
    signal: AbortSignal.timeout(30_000),
  });
  return { status: res.status, body: await res.text() };
}

const space = await scratch("soak");
await exitAfter(space, log, async () => {
  const bases = await baseTexts();
  log(`starting a fresh stack (state in ${space.dir})`);
  const stack = await space.startStack({
    teacher: { latencyMs: settings.teacherLatencyMs },
    vars: settings.vars,
  });
  // The Worker's own workerd socket, as production has no dev proxy (the proxy where it is not found).
  const port = Number(new URL(stack.gatewayUrl).port);
  const url = (stack.pid !== undefined && (await directGatewayUrl(stack.pid, port))) || stack.gatewayUrl;
  log(
    url === stack.gatewayUrl
      ? "requests go through the dev proxy"
      : `requests go to the Worker's own socket ${url}`,
  );
  const total = requestCount(settings.ratePerS, settings.durationS);
  log(
    `${total} requests at ${settings.ratePerS}/s, teacher ${settings.teacherUpS} s up / ${settings.teacherDownS} s down`,
  );

  const teacher: FlapState = { up: true };
  const flapping = new AbortController();
  const flaps = flapTeacher(
    stack,
    { upMs: settings.teacherUpS * 1000, downMs: settings.teacherDownS * 1000, signal: flapping.signal },
    teacher,
  );
  const loadStart = performance.now();
  const run = await openLoop<Outcome>({
    ratePerS: settings.ratePerS,
    durationS: settings.durationS,
    send: async (i, scheduledAt) => {
      const text = soakText(bases, i);
      const asked = isEscalated(i, settings.escalateEvery);
      const teacherUp = teacher.up;
      try {
        const { status, body } = await classify(url, text, asked);
        return outcomeOf(status, body, {
          latencyMs: performance.now() - scheduledAt,
          asked,
          teacherUp,
          text,
        });
      } catch (error) {
        const cause =
          error instanceof Error && error.cause instanceof Error ? `: ${error.cause.message}` : "";
        return { kind: "network", message: `${String(error)}${cause}`, teacherUp };
      }
    },
  });
  const loadSeconds = (performance.now() - loadStart) / 1000;
  flapping.abort();
  const { downs } = await flaps;
  const requests = tally(run.results);
  log(
    `load done in ${loadSeconds.toFixed(1)} s: ${requests.ok2xx} 2xx, ${requests.non2xx} non-2xx, ${requests.networkErrors} network errors, ${requests.escalations} escalations (${requests.degraded} degraded), ${downs.length} teacher outages`,
  );

  log(`waiting (at most ${settings.drainTimeoutS} s) for the index to reach ${requests.escalations} records`);
  const client = new GatewayClient(url, stack.adminToken);
  const drainStart = performance.now();
  await waitForIndex(client, MODEL, requests.escalations, settings.drainTimeoutS * 1000, log);
  const waitedS = (performance.now() - drainStart) / 1000;
  const exported = await client.allHardExamples({ model: MODEL });
  const logCheck = checkLog(run.results, exported.records, exported.indexed, waitedS);
  log(
    `escalations ${logCheck.escalations}, D1 rows ${logCheck.indexed}, records ${logCheck.records}: ${logCheck.equal ? "equal" : "DIFFERENT"}`,
  );

  const pass = soakPasses(requests, logCheck);
  await writeSoakReport(
    {
      ...provenance("bench:soak", args, ["wrangler", "hono", "onnxruntime-web", "zod"]),
      settings,
      maxSendLagMs: run.maxSendLagMs,
      loadSeconds,
      teacherDowns: downs,
      requests,
      log: logCheck,
      pass,
    },
    { markdown: flags.markdown, json: flags.json },
  );
  log(`wrote ${flags.json} and the bench:soak section of ${flags.markdown}: ${pass ? "PASS" : "FAIL"}`);
  for (const failure of requests.failures) log(`  failed: ${failure}`);
  return pass;
});
