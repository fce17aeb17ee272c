import { mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Miniflare } from "miniflare";
import { unstable_getMiniflareWorkerOptions } from "wrangler";
import { buildWorkerBundle } from "../common/bundle.ts";
import { STUDENT_TEXT } from "./traffic.ts";
import { workerdCpuMs } from "./workerd-cpu.ts";

/**
 * The gateway's first answer in a fresh isolate, without wrangler dev: the gateway as `wrangler deploy`
 * would upload it (built once), run by a fresh Miniflare per sample with wrangler.toml's bindings. The
 * first student-only `POST /v1/classify` is timed from Node, either as the isolate's very first request
 * or right after a `GET /healthz`, whose answer says whether the bundled students' sessions were already
 * open. Besides the wall time (which the shared machine's load inflates), the CPU time workerd spent is
 * read from /proc (Linux; 10 ms ticks): while it started (the isolate's module scope, the warm-up
 * included) and while it answered the classify.
 */
export type FirstRequest = "classify" | "healthz";

export interface ColdIsolateSample {
  first: FirstRequest;
  firstAnswerMs: number;
  /** workerd's CPU time (ms) from spawn to ready, and during the classify; null without /proc. */
  startCpuMs: number | null;
  answerCpuMs: number | null;
  /** With /healthz first: every bundled student's session was open before any request. */
  sessionsOpen: boolean | null;
}

type ModuleType = "ESModule" | "CompiledWasm" | "Data" | "Text";

/** wrangler.toml's module rules: the WASM precompiled, graphs as bytes, every other asset as Text. */
async function gatewayModules(outdir: string): Promise<{ type: ModuleType; path: string }[]> {
  const typeOf = (name: string): ModuleType =>
    name === "index.js"
      ? "ESModule"
      : name.endsWith(".wasm")
        ? "CompiledWasm"
        : name.endsWith(".onnx")
          ? "Data"
          : "Text";
  const names = (await readdir(outdir)).filter((n) => !n.endsWith(".map") && n !== "README.md");
  // The entry first: Miniflare runs the first module.
  names.sort((a, b) => Number(b === "index.js") - Number(a === "index.js"));
  return names.map((name) => ({ type: typeOf(name), path: join(outdir, name) }));
}

const minus = (a: number | null, b: number | null) => (a === null || b === null ? null : a - b);

export interface ColdIsolate {
  sample(model: string, first: FirstRequest): Promise<ColdIsolateSample>;
  dispose(): Promise<void>;
}

/** Builds the gateway (wrangler.toml) once; each sample is a fresh workerd over that bundle. */
export async function coldIsolate(vars: Record<string, string>): Promise<ColdIsolate> {
  const dir = await mkdtemp(join(tmpdir(), "apprentice-bench-isolate-"));
  const outdir = join(dir, "bundle");
  await buildWorkerBundle(outdir);
  const modules = await gatewayModules(outdir);
  const { workerOptions } = unstable_getMiniflareWorkerOptions("wrangler.toml");
  // The bundle replaces the source entry and its rules; the bindings stay.
  const { main: _main, modulesRules: _rules, ...bindings } = workerOptions as Record<string, unknown>;
  return {
    async sample(model, first) {
      const cpuBefore = await workerdCpuMs();
      const mf = new Miniflare({
        ...bindings,
        modules,
        modulesRoot: outdir,
        compatibilityDate: "2026-04-01",
        // No teacher is asked (teacher "never"); the URL only has to be valid configuration.
        bindings: { TEACHER_URL: "http://127.0.0.1:9", TEACHER_PROTOCOL: "kserve-v2", ...vars },
      } as ConstructorParameters<typeof Miniflare>[0]);
      try {
        const base = await mf.ready;
        const cpuStarted = await workerdCpuMs();
        let sessionsOpen: boolean | null = null;
        if (first === "healthz") {
          const health = (await (await fetch(new URL("/healthz", base))).json()) as {
            models: Record<string, { loaded: boolean }>;
          };
          sessionsOpen = Object.values(health.models).every((m) => m.loaded);
        }
        const cpuReady = await workerdCpuMs();
        const started = performance.now();
        const response = await fetch(new URL("/v1/classify", base), {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ model, text: STUDENT_TEXT, options: { teacher: "never" } }),
        });
        await response.arrayBuffer();
        const firstAnswerMs = performance.now() - started;
        const cpuAnswered = await workerdCpuMs();
        if (response.status !== 200) throw new Error(`cold isolate: first /v1/classify ${response.status}`);
        return {
          first,
          firstAnswerMs,
          startCpuMs: minus(cpuStarted, cpuBefore),
          answerCpuMs: minus(cpuAnswered, cpuReady),
          sessionsOpen,
        };
      } finally {
        await mf.dispose();
      }
    },
    dispose: () => rm(dir, { recursive: true, force: true }),
  };
}
