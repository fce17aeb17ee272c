import { z } from "zod";
import { mdCode, mdTable, mdText } from "../../src/distill/report/md.ts";
import { MachineSchema } from "../common/machine.ts";
import { sectionMarkers, writeReport } from "../common/section.ts";
import { STREAM_ATTEMPTS } from "./exec.ts";

const FUZZ_MARKERS = sectionMarkers("fuzz");

const Body = z.discriminatedUnion("kind", [
  z.object({ kind: z.literal("text"), text: z.string() }),
  z.object({ kind: z.literal("bytes"), hex: z.string() }),
  z.object({
    kind: z.literal("repeat"),
    prefix: z.string(),
    unit: z.string(),
    times: z.number().int(),
    suffix: z.string(),
  }),
]);
const Case = z.object({
  endpoint: z.string(),
  method: z.string(),
  path: z.string(),
  headers: z.record(z.string(), z.string()),
  auth: z.enum(["admin", "none", "wrong", "malformed"]),
  body: Body.nullable(),
  chunked: z.boolean(),
});
const Statuses = z.record(z.string(), z.number().int());

/** What bench/results/fuzz.json holds (validated before it is written). */
export const FuzzResults = z.object({
  command: z.string(),
  date: z.string(),
  machine: MachineSchema,
  seed: z.number().int(),
  cases: z.number().int(),
  lanes: z.number().int(),
  settings: z.object({
    vars: z.record(z.string(), z.string()),
    maxBodyBytes: z.number().int(),
    maxUploadBytes: z.number().int(),
  }),
  endpoints: z.array(
    z.object({ endpoint: z.string(), documented: z.boolean(), cases: z.number().int(), byStatus: Statuses }),
  ),
  byStatus: Statuses,
  failures: z.object({
    total: z.number().int(),
    byKind: z.record(z.string(), z.number().int()),
    /** The first failure of each (endpoint, kind), shrunk to a minimal case that fails the same way. */
    shrunk: z.array(
      z.object({
        endpoint: z.string(),
        kind: z.string(),
        occurrences: z.number().int(),
        original: Case,
        minimal: Case,
        detail: z.string(),
        shrinks: z.number().int(),
        reproduced: z.boolean(),
      }),
    ),
    /** Every failure in the order met (at most 200), to see what was in flight around one. */
    log: z.array(
      z.object({
        endpoint: z.string(),
        kind: z.string(),
        also: z.array(z.string()),
        lane: z.number().int(),
        run: z.number().int(),
        request: z.string(),
      }),
    ),
  }),
  /** What the local transport spoilt around streamed bodies (see exec.ts): absorbed, retried, or failed. */
  rig: z.object({
    flushRestarts: z.number().int(),
    streamRetries: z.record(z.string(), z.number().int()),
    flushFailures: z.array(z.string()),
  }),
  wallSeconds: z.number(),
  pass: z.boolean(),
});
export type FuzzResults = z.infer<typeof FuzzResults>;

const statusList = (row: Record<string, number>, keep: (status: string) => boolean) =>
  Object.entries(row)
    .filter(([s]) => keep(s))
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([s, n]) => `${s}: ${n}`)
    .join(", ") || "—";
const is2xx = (s: string) => s.startsWith("2");
const is4xx = (s: string) => s.startsWith("4");
const isBad = (s: string) => !is2xx(s) && !is4xx(s) && !s.startsWith("3");

export function renderFuzzSection(r: FuzzResults, jsonLink: string): string {
  const m = r.machine;
  const packages = Object.entries(m.packages)
    .map(([name, version]) => `${name} ${version}`)
    .join(", ");
  const table = mdTable(
    ["Endpoint", "In OpenAPI", "Cases", "2xx", "4xx by status", "5xx / no answer"],
    r.endpoints.map((e) => [
      mdCode(e.endpoint),
      e.documented ? "yes" : "no",
      String(e.cases),
      String(
        Object.entries(e.byStatus)
          .filter(([s]) => is2xx(s))
          .reduce((sum, [, n]) => sum + n, 0),
      ),
      statusList(e.byStatus, is4xx),
      statusList(e.byStatus, isBad),
    ]),
    ["left", "left", "right", "right", "left", "left"],
  );
  const failures =
    r.failures.total === 0
      ? [
          "No failures: zero 5xx, every non-2xx answer was `application/json` with the error body, every answer had `x-request-id`.",
        ]
      : [
          `**${r.failures.total} failures** (${Object.entries(r.failures.byKind)
            .map(([k, n]) => `${k}: ${n}`)
            .join(", ")}). The first of each kind per endpoint, shrunk (full cases in the JSON):`,
          "",
          ...r.failures.shrunk.map(
            (f) =>
              `- ${mdCode(f.endpoint, false)} ${f.kind} (${f.occurrences}×${f.reproduced ? "" : "; not reproduced when replayed alone"}): ${mdCode(`${f.minimal.method} ${f.minimal.path.slice(0, 120)}`, false)} — ${mdText(f.detail.slice(0, 200))}`,
          ),
        ];
  const vars = Object.entries(r.settings.vars)
    .map(([k, v]) => `\`${k}=${v}\``)
    .join(", ");
  return [
    FUZZ_MARKERS.start,
    "## Hostile input: property-based fuzz of every endpoint (`npm run bench:fuzz`)",
    "",
    `\`${r.command}\` — ${r.date}, ${m.nproc} × ${m.cpu}, Node ${m.node}, ${packages}${m.commit ? `, commit ${m.commit.slice(0, 10)}` : ""}; ${r.wallSeconds.toFixed(0)} s wall.`,
    "",
    `**${r.cases} generated requests** (fast-check, seed **${r.seed}**; ${r.lanes} runners side by side, runner k seeded seed + k, so at most ${r.lanes} requests in flight) over HTTP against a fresh local stack (\`wrangler dev\` on loopback, the teacher server up${vars ? `, vars ${vars}` : ""}). Every operation in the gateway's own \`/openapi.json\` gets cases, plus undocumented methods on documented paths and unknown paths. Hand-written generators cover the JSON bodies: \`/v1/classify\` (the test suite's generator, test/helpers/fuzz-bodies.ts, plus the hostile kinds below), V2 infer (valid and near-valid tensors), promote/rollback (only versions that exist, or a 4xx), model upload (hand-assembled junk multipart), API keys, and the query strings of \`/admin/hard-examples\` and \`/admin/stats\`; admin requests mostly carry the valid token, sometimes none, a wrong or a malformed one. Hostile kinds on every JSON body: content-type lies, bodies over the limit (${r.settings.maxBodyBytes} bytes for JSON, ${r.settings.maxUploadBytes} for uploads; with Content-Length and streamed without it), invalid UTF-8, JSON nested up to 40,000 deep, prototype-pollution keys (\`__proto__\`, \`constructor\`, …), truncated JSON, a BOM or a NUL; hostile path segments and query strings (percent-encoding junk, lone surrogates, 3,000-character values).`,
    "",
    'Each answer must be: not 5xx; if not 2xx, `application/json` with exactly `{"error":{"code","message"}}`; carrying `x-request-id`; and an answer at all (a dropped connection fails).',
    "",
    table,
    "",
    `All endpoints: ${statusList(r.byStatus, () => true)}.`,
    "",
    `**Test-rig note (not the gateway):** \`wrangler dev\` serves the Worker behind a proxy Worker, and it mishandles a streamed (chunked) body that the gateway refuses without reading it to the end (413 while counting, 415 before reading): the proxy then fails the next non-GET request with its own 503 text/plain "Your worker restarted mid-request…" (and holds a GET until another request arrives), and now and then spoils the refused request's own answer (that 503, kj-http's 501 "Unrecognized request method" or 431 "header too large", a 413 with its body lost). curl alone reproduces it (\`curl -H 'transfer-encoding: chunked' --data-binary @70KB.json …/v1/classify\` → 413, then any POST → 503); bodies with Content-Length do not trigger it. So each streamed case runs with nothing else in flight, is followed by small POSTs until the proxy answers normally (${r.rig.flushRestarts} proxy 503s absorbed; ${r.rig.flushFailures.length === 0 ? "no flush got any other answer" : `**${r.rig.flushFailures.length} flushes got another answer**, counted as failures`}), and is sent again, at most ${STREAM_ATTEMPTS} times, while its answer is one of those transport glitches (retries: ${
      Object.entries(r.rig.streamRetries)
        .map(([k, n]) => `${k} ${n}`)
        .join(", ") || "none"
    }); the first clean answer is checked like any other. Streamed cases go through node:http, which, like curl, keeps an answer that arrived before the server closed the connection.`,
    "",
    ...failures,
    "",
    `**Verdict: ${r.pass ? "pass" : "FAIL"}.** Rerun a run with \`npm run bench:fuzz -- --seed ${r.seed}\`. Raw figures and any shrunk failing cases: [${jsonLink}](${jsonLink}).`,
    FUZZ_MARKERS.end,
  ].join("\n");
}

export async function writeFuzzReport(
  results: FuzzResults,
  paths: { markdown: string; json: string },
): Promise<void> {
  FuzzResults.parse(results);
  await writeReport(paths, FUZZ_MARKERS, results, (json) => renderFuzzSection(results, json));
}
