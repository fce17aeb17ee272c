import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { OFFLINE_ENV } from "../../src/stack.ts";

/**
 * Builds a Worker as it would be deployed (`wrangler deploy --dry-run --outdir`): worker.js and its
 * modules in `outdir`. `config` is a wrangler.toml other than the gateway's.
 */
export async function buildWorkerBundle(outdir: string, config?: string): Promise<void> {
  const configArgs = config === undefined ? [] : ["--config", config];
  await promisify(execFile)("npx", ["wrangler", "deploy", "--dry-run", "--outdir", outdir, ...configArgs], {
    env: { ...process.env, ...OFFLINE_ENV },
    maxBuffer: 64 * 1024 * 1024,
  });
}
