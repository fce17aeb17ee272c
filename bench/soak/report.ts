import { z } from "zod";
import { mdTable } from "../../src/distill/report/md.ts";
import { MachineSchema } from "../common/machine.ts";
import { sectionMarkers, writeReport } from "../common/section.ts";
import { LogCheck } from "./log-check.ts";
import { Tally } from "./tally.ts";

const SOAK_MARKERS = sectionMarkers("soak");

/** What bench/results/soak.json holds (validated before it is written). */
export const SoakResults = z.object({
  command: z.string(),
  date: z.string(),
  machine: MachineSchema,
  settings: z.object({
    ratePerS: z.number(),
    durationS: z.number(),
    escalateEvery: z.number().int(),
    teacherUpS: z.number(),
    teacherDownS: z.number(),
    teacherLatencyMs: z.number(),
    drainTimeoutS: z.number(),
    model: z.string(),
    vars: z.record(z.string(), z.string()),
  }),
  /** The generator's worst lateness in sending (ms): large means the client, not the gateway, lagged. */
  maxSendLagMs: z.number(),
  loadSeconds: z.number(),
  teacherDowns: z.array(z.object({ fromS: z.number(), toS: z.number() })),
  requests: Tally,
  log: LogCheck,
  pass: z.boolean(),
});
export type SoakResults = z.infer<typeof SoakResults>;

/** The verdict: no failed request, and exactly one log record per escalation. */
export function soakPasses(requests: Tally, log: LogCheck): boolean {
  return requests.non2xx === 0 && requests.networkErrors === 0 && log.equal;
}

const ms = (x: number | null) => (x === null ? "—" : `${x.toFixed(x < 10 ? 1 : 0)} ms`);
const yes = (ok: boolean) => (ok ? "**yes**" : "**NO**");

export function renderSoakSection(r: SoakResults, jsonLink: string): string {
  const { settings: s, requests: q, log: l, machine: m } = r;
  const packages = Object.entries(m.packages)
    .map(([name, version]) => `${name} ${version}`)
    .join(", ");
  const vars = Object.entries(s.vars)
    .map(([k, v]) => `\`${k}=${v}\``)
    .join(", ");
  const requestTable = mdTable(
    ["Requests", "2xx", "Non-2xx", "Network errors", "Escalations", "of which teacher", "of which degraded"],
    [
      [
        String(q.requests),
        String(q.ok2xx),
        String(q.non2xx),
        String(q.networkErrors),
        String(q.escalations),
        String(q.bySource.teacher + q.bySource.cache),
        String(q.bySource.degraded),
      ],
    ],
    ["right", "right", "right", "right", "right", "right", "right"],
  );
  const latencyTable = mdTable(
    ["Requests", "p50", "p99", "max"],
    (
      [
        ["all", q.latencyMs],
        ['student only (`"never"`)', q.latencyByAsk.student],
        ['asking for the teacher (`"always"`)', q.latencyByAsk.teacher],
      ] as const
    ).map(([name, l]) => [name, ms(l.p50), ms(l.p99), ms(l.max)]),
    ["left", "right", "right", "right"],
  );
  const logTable = mdTable(
    [
      "Escalations answered",
      "D1 index rows",
      "Records exported (R2)",
      "Missing",
      "Unexpected",
      "Doubled",
      "Wrong route",
      "Equal",
    ],
    [
      [
        String(l.escalations),
        l.indexed === null ? "—" : String(l.indexed),
        String(l.records),
        String(l.missing),
        String(l.unexpected),
        String(l.duplicated),
        String(l.wrongRoute),
        yes(l.equal),
      ],
    ],
    ["right", "right", "right", "right", "right", "right", "right", "right"],
  );
  const routes = Object.entries(l.byRoute)
    .map(([route, n]) => `${route} ${n}`)
    .join(", ");
  return [
    SOAK_MARKERS.start,
    "## Soak: steady load while the teacher flaps (`npm run bench:soak`)",
    "",
    `\`${r.command}\` — ${r.date}, ${m.nproc} × ${m.cpu}, Node ${m.node}, ${packages}${m.commit ? `, commit ${m.commit.slice(0, 10)}` : ""}.`,
    "",
    `One fresh local stack (\`wrangler dev\` on loopback, a new state directory, so D1 starts empty) with vars ${vars}: audits are off, so only escalations are logged and every record has a request behind it. An open-loop generator sends \`POST /v1/classify\` to the Worker's own workerd socket (the dev proxy only where it cannot be found) (model \`${s.model}\`, one text each) at a fixed ${s.ratePerS} requests/s for ${s.durationS} s, on schedule whether or not earlier answers have arrived; latency is measured from each request's scheduled time. Every ${s.escalateEvery}th request asks for the teacher (\`options.teacher: "always"\`), the rest \`"never"\`. Each text is a CLINC150 test text with a unique letters-only tag, so no two requests share a hard-example id. The teacher server (answering after ${s.teacherLatencyMs} ms) is stopped and restarted on the same port all along: ${s.teacherUpS} s up, ${s.teacherDownS} s down (${r.teacherDowns.length} outages in ${r.loadSeconds.toFixed(0)} s). After the load the benchmark waits (at most ${s.drainTimeoutS} s) for the queue consumer, then reads every record back through \`GET /admin/hard-examples\` and matches them to the answers one by one.`,
    "",
    "### Requests",
    "",
    requestTable,
    "",
    `${q.sentWhileTeacherDown} requests were sent while the teacher was down (${q.askedWhileTeacherDown} of them asking for it); ${q.degraded} answers were degraded (the student's, flagged); ${q.non2xx + q.networkErrors} requests failed. Latency, from each request's scheduled time:`,
    "",
    latencyTable,
    "",
    "### Hard-example log after the load",
    "",
    logTable,
    "",
    `Records by route: ${routes || "none"}. The wait ended ${l.waitedS.toFixed(0)} s after the load: the count must reach the escalations and then hold still for 6 s, longer than a queue batch may wait.`,
    "",
    `**Verdict: ${r.pass ? "pass" : "FAIL"}** — zero failed requests: ${yes(q.non2xx + q.networkErrors === 0)}; D1 count equals escalations (nothing lost, nothing doubled): ${yes(l.equal)}.`,
    "",
    `**Caveat:** client, gateway and teacher share one small machine over loopback, and the teacher server runs inside the benchmark's own Node process (\`src/stack.ts\`), so its restarts (re-reading and loading its ONNX models) and its inference share an event loop with the load generator, which was at worst ${r.maxSendLagMs.toFixed(0)} ms late in sending; such pauses count in the latencies. The latency figures show the cost of the paths under flapping on this machine, not a deployed edge; the counts are the point.`,
    "",
    `Raw figures: [${jsonLink}](${jsonLink}).`,
    SOAK_MARKERS.end,
  ].join("\n");
}

export async function writeSoakReport(
  results: SoakResults,
  paths: { markdown: string; json: string },
): Promise<void> {
  SoakResults.parse(results);
  await writeReport(paths, SOAK_MARKERS, results, (json) => renderSoakSection(results, json));
}
