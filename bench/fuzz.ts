/**
 * `npm run bench:fuzz`: a property-based fuzz of every endpoint of the gateway over HTTP against a fresh
 * local stack (see bench/fuzz/ for the generators and checks, BENCHMARKS.md for what it found). Exits 1
 * on any failure: a 5xx, a non-2xx that is not the JSON error body, an answer without x-request-id, or
 * no answer. Flags: --cases N (10000), --seed N (random, printed), --lanes N (8 in flight), --shrink-s S
 * (60, per failure kind), --markdown FILE (BENCHMARKS.md), --json FILE (bench/results/fuzz.json).
 */

import { randomInt } from "node:crypto";
import { readFile } from "node:fs/promises";
import { parseArgs } from "node:util";
import fc from "fast-check";
import { z } from "zod";
import { progressLog } from "./common/log.ts";
import { provenance } from "./common/machine.ts";
import { exitAfter, scratch } from "./common/scratch.ts";
import { totals } from "./fuzz/check.ts";
import { httpExec } from "./fuzz/exec.ts";
import { allTargets, OpenApiDoc, operationsOf } from "./fuzz/openapi-targets.ts";
import { writeFuzzReport } from "./fuzz/report.ts";
import { firstOfEachKind, runLanes, type Shrunk, shrink } from "./fuzz/run.ts";
import { publicTargets, type TargetContext } from "./fuzz/targets.ts";
import { adminTargets } from "./fuzz/targets-admin.ts";

const args = process.argv.slice(2);
const { values: flags } = parseArgs({
  args,
  options: {
    cases: { type: "string", default: "10000" },
    seed: { type: "string" },
    lanes: { type: "string", default: "8" },
    "shrink-s": { type: "string", default: "60" },
    markdown: { type: "string", default: "BENCHMARKS.md" },
    json: { type: "string", default: "bench/results/fuzz.json" },
  },
});
const int = (value: string, name: string, min: number): number => {
  const n = Number(value);
  if (!Number.isInteger(n) || n < min) throw new Error(`--${name} must be an integer ≥ ${min}`);
  return n;
};
const cases = int(flags.cases, "cases", 1);
const seed = flags.seed === undefined ? randomInt(2 ** 31 - 1) : int(flags.seed, "seed", 0);
const lanes = int(flags.lanes, "lanes", 1);
const shrinkMs = int(flags["shrink-s"], "shrink-s", 1) * 1000;
// Small enough that an oversize upload is cheap to send, large enough for every junk multipart body.
const MAX_UPLOAD_BYTES = 262_144;
const MAX_BODY_BYTES = 65_536;
const vars = { MAX_UPLOAD_BYTES: String(MAX_UPLOAD_BYTES) };
const MAX_SHRUNK_KINDS = 12;

const { log, seconds } = progressLog();

const ModelList = z.object({ models: z.array(z.object({ name: z.string(), version: z.string() })) });

async function getJson<T>(url: string, schema: z.ZodType<T>): Promise<T> {
  const res = await fetch(url);
  if (!res.ok) throw new Error(`GET ${url}: HTTP ${res.status}`);
  return schema.parse(await res.json());
}

const space = await scratch("fuzz");
await exitAfter(space, log, async () => {
  log(`seed ${seed} (rerun with --seed ${seed}), ${cases} cases, ${lanes} in flight`);
  const { gatewayUrl: url, adminToken: token } = await space.startStack({ vars });
  const doc = await getJson(`${url}/openapi.json`, OpenApiDoc);
  const served = await getJson(`${url}/v1/models`, ModelList);
  const ctx: TargetContext = {
    models: served.models.map((m) => m.name),
    versions: [...new Set(served.models.map((m) => m.version))],
    maxBodyBytes: MAX_BODY_BYTES,
    maxUploadBytes: MAX_UPLOAD_BYTES,
    manifest: z
      .record(z.string(), z.unknown())
      .parse(JSON.parse(await readFile("models/clinc150/manifest.json", "utf8"))),
  };
  const targets = allTargets(doc, [...publicTargets(ctx), ...adminTargets(ctx)], ctx);
  const arbitrary = fc.oneof(...targets.map((t) => ({ weight: t.weight ?? 1, arbitrary: t.arbitrary })));
  log(`${targets.length} targets: ${targets.map((t) => t.endpoint).join("; ")}`);

  const http = httpExec(url, token);
  const exec = http.exec;
  const run = await runLanes(arbitrary, { seed, cases, lanes, exec, onProgress: (n) => log(`${n} cases`) });
  log(`${run.cases} cases, ${run.failures.length} failures`);

  const shrunk: Shrunk[] = [];
  for (const failure of firstOfEachKind(run.failures).slice(0, MAX_SHRUNK_KINDS)) {
    const occurrences = run.failures.filter(
      (f) => f.endpoint === failure.endpoint && f.problem.kind === failure.problem.kind,
    ).length;
    log(`shrinking ${failure.endpoint} ${failure.problem.kind}`);
    shrunk.push(await shrink(arbitrary, failure, { seed, exec, timeLimitMs: shrinkMs, occurrences }));
  }

  const documented = new Set(operationsOf(doc).map((op) => op.endpoint));
  const endpoints = targets.map((t) => {
    const byStatus = run.counts[t.endpoint] ?? {};
    return {
      endpoint: t.endpoint,
      documented: documented.has(t.endpoint),
      cases: Object.values(byStatus).reduce((s, n) => s + n, 0),
      byStatus,
    };
  });
  const byKind: Record<string, number> = {};
  for (const f of run.failures) byKind[f.problem.kind] = (byKind[f.problem.kind] ?? 0) + 1;
  const unreached = endpoints.filter((e) => e.cases === 0).map((e) => e.endpoint);
  if (unreached.length > 0) log(`no cases reached: ${unreached.join(", ")}`);
  const rig = http.stats();
  for (const f of rig.flushFailures) log(`FAIL ${f}`);
  log(
    `test rig: ${rig.flushRestarts} dev-proxy 503s absorbed by flushes, streamed retries ${JSON.stringify(rig.streamRetries)}`,
  );
  const pass = run.failures.length === 0 && unreached.length === 0 && rig.flushFailures.length === 0;
  await writeFuzzReport(
    {
      ...provenance("bench:fuzz", args, ["fast-check", "wrangler", "hono", "zod"]),
      seed,
      cases: run.cases,
      lanes,
      settings: { vars, maxBodyBytes: MAX_BODY_BYTES, maxUploadBytes: MAX_UPLOAD_BYTES },
      endpoints,
      byStatus: totals(run.counts),
      failures: {
        total: run.failures.length,
        byKind,
        shrunk,
        log: run.failures.slice(0, 200).map((f) => ({
          endpoint: f.endpoint,
          kind: f.problem.kind,
          also: f.also,
          lane: f.lane,
          run: f.run,
          request: `${f.case.method} ${f.case.path.slice(0, 200)}`,
        })),
      },
      rig,
      wallSeconds: seconds(),
      pass,
    },
    { markdown: flags.markdown, json: flags.json },
  );
  log(`status totals: ${JSON.stringify(totals(run.counts))}`);
  for (const s of shrunk)
    log(
      `FAIL ${s.endpoint} ${s.kind} ×${s.occurrences}: ${s.minimal.method} ${s.minimal.path} — ${s.detail.slice(0, 200)}`,
    );
  log(
    `wrote ${flags.json} and the bench:fuzz section of ${flags.markdown}: ${pass ? "PASS" : "FAIL"} (seed ${seed})`,
  );
  return pass;
});
