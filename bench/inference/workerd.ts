import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { unstable_startWorker } from "wrangler";
import { OFFLINE_ENV } from "../../src/stack.ts";
import { buildWorkerBundle } from "../common/bundle.ts";
import { type LogitsRequest, type TimeRequest, TimeResponse } from "./protocol.ts";

/** The bench Worker's config: bench/inference/wrangler.toml (module rules as the gateway's). */
const BENCH_WORKER_CONFIG = "bench/inference/wrangler.toml";

export interface BenchWorker {
  url: string;
  /** One timing request of one series, answered by the Worker. */
  time(request: TimeRequest): Promise<TimeResponse>;
  /** Row-major [texts × classes]. */
  logits(request: LogitsRequest, classes: number): Promise<Float32Array>;
  dispose(): Promise<void>;
}

/**
 * How the built bundle's modules load (its imports are already resolved, so unlike in wrangler.toml no
 * rule falls through to wrangler's defaults, which would list the WASM module twice).
 */
const BUNDLE_RULES: { type: "CompiledWasm" | "Data"; globs: string[]; fallthrough: boolean }[] = [
  { type: "CompiledWasm", globs: ["**/*.wasm"], fallthrough: false },
  { type: "Data", globs: ["**/*.onnx"], fallthrough: false },
];

/**
 * Starts bench/inference/worker.ts under real workerd through wrangler's startWorker API (local mode, no
 * persistence, no inspector) on a loopback port. It runs a bundle built once beforehand, not the sources:
 * startWorker's bundler always watches the sources and restarts the Worker mid-request when one changes
 * (another edit in the tree would kill a timing run); without bundling it only watches the bundle's
 * own temporary directory.
 */
export async function startBenchWorker(port: number): Promise<BenchWorker> {
  const workDir = await mkdtemp(join(tmpdir(), "apprentice-bench-inference-"));
  const outdir = join(workDir, "bundle");
  try {
    await buildWorkerBundle(outdir, BENCH_WORKER_CONFIG);
  } catch (error) {
    await rm(workDir, { recursive: true, force: true });
    throw error;
  }
  for (const [key, value] of Object.entries(OFFLINE_ENV)) process.env[key] ??= value;
  const worker = await unstable_startWorker({
    config: BENCH_WORKER_CONFIG,
    entrypoint: join(outdir, "worker.js"),
    build: { bundle: false, moduleRoot: outdir, moduleRules: BUNDLE_RULES },
    dev: {
      remote: false,
      server: { hostname: "127.0.0.1", port },
      inspector: false,
      watch: false,
      persist: false,
      logLevel: process.env.BENCH_VERBOSE ? "debug" : "warn",
    },
  });
  const dispose = async () => {
    await worker.dispose();
    await rm(workDir, { recursive: true, force: true });
  };
  let base: URL;
  try {
    await worker.ready;
    base = await worker.url;
  } catch (error) {
    await dispose();
    throw error;
  }
  const send = (path: string, body: unknown): Promise<Response> =>
    fetch(new URL(path, base), {
      method: "POST",
      // A fresh connection per request: the driver's gaps between requests (while Node times its own
      // series) are about as long as the server's keep-alive timeout, and a request sent on a pooled
      // socket just as the server closes it fails with "other side closed".
      headers: { "content-type": "application/json", connection: "close" },
      body: JSON.stringify(body),
    });
  const post = async (path: string, body: unknown): Promise<Response> => {
    let response = await send(path, body);
    // wrangler's proxy answers this when workerd restarted under the request (seen on loaded machines);
    // it retries only GET and HEAD itself and asks the client to send again. Our requests are pure.
    if (response.status === 503 && (await restarted(response))) response = await send(path, body);
    if (!response.ok) throw new Error(`bench worker ${path}: ${response.status} ${await response.text()}`);
    return response;
  };
  return {
    url: base.href,
    async time(request) {
      return TimeResponse.parse(await (await post("/time", request)).json());
    },
    async logits(request, classes) {
      const rows = new Float32Array(await (await post("/logits", request)).arrayBuffer());
      if (rows.length !== request.texts.length * classes)
        throw new Error(`bench worker /logits: ${rows.length} values for ${request.texts.length} texts`);
      return rows;
    },
    dispose,
  };
}

/** Whether a 503 is wrangler's "Your worker restarted mid-request" (read from a clone: the body stays). */
async function restarted(response: Response): Promise<boolean> {
  return (await response.clone().text()).includes("restarted mid-request");
}
