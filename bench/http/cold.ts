import { mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Miniflare } from "miniflare";
import { buildWorkerBundle } from "../common/bundle.ts";
import { workerdCpuMs } from "./workerd-cpu.ts";

/**
 * Cold isolates: every sample starts its own workerd (Miniflare over a built bundle, so nothing is shared
 * with the previous sample) and times one request from Node, workerd's own clock being frozen while the
 * isolate computes.
 */
export interface ColdSamples {
  samples: number[];
  median: number;
  max: number;
}

export function summariseSamples(samples: number[]): ColdSamples {
  const sorted = [...samples].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  const median = sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
  return { samples, median, max: sorted[sorted.length - 1] ?? Number.NaN };
}

type ModuleType = "ESModule" | "CompiledWasm" | "Data";

/** The built bundle's modules, listed (Miniflare cannot follow the glue's dynamic imports itself). */
async function bundleModules(outdir: string, main: string): Promise<{ type: ModuleType; path: string }[]> {
  const typeOf = (name: string): ModuleType | null =>
    name.endsWith(".wasm")
      ? "CompiledWasm"
      : name.endsWith(".onnx")
        ? "Data"
        : name.endsWith(".js")
          ? "ESModule"
          : null;
  const names = (await readdir(outdir)).filter((name) => typeOf(name) !== null);
  // The entry first: Miniflare runs the first module.
  names.sort((a, b) => Number(b === main) - Number(a === main));
  return names.map((name) => ({ type: typeOf(name) as ModuleType, path: join(outdir, name) }));
}

export interface ColdWorker {
  /**
   * A fresh workerd answering one request at `path`: that request's time in ms, and the CPU time workerd
   * spent on it (ms, 10 ms ticks from /proc; null without it), which the machine's load inflates less.
   */
  firstRequest(path: string): Promise<{ ms: number; cpuMs: number | null }>;
  dispose(): Promise<void>;
}

/** Builds bench/http/cold-worker.ts once (bench/http/wrangler.toml). */
export async function coldWorker(): Promise<ColdWorker> {
  const dir = await mkdtemp(join(tmpdir(), "apprentice-bench-cold-"));
  const outdir = join(dir, "bundle");
  await buildWorkerBundle(outdir, "bench/http/wrangler.toml");
  const modules = await bundleModules(outdir, "cold-worker.js");
  return {
    async firstRequest(path) {
      const mf = new Miniflare({
        modules,
        modulesRoot: outdir,
        compatibilityDate: "2026-04-01",
      });
      try {
        const base = await mf.ready;
        const cpuBefore = await workerdCpuMs();
        const started = performance.now();
        const response = await fetch(new URL(path, base));
        await response.arrayBuffer();
        const elapsed = performance.now() - started;
        const cpuAfter = await workerdCpuMs();
        if (!response.ok) throw new Error(`cold worker ${path}: ${response.status}`);
        return { ms: elapsed, cpuMs: cpuBefore === null || cpuAfter === null ? null : cpuAfter - cpuBefore };
      } finally {
        await mf.dispose();
      }
    },
    dispose: () => rm(dir, { recursive: true, force: true }),
  };
}
