/**
 * The Worker's upload size, run by `npm run build` after wrangler's dry run: what `wrangler deploy`
 * would upload from `dist/` (the bundle and its modules: onnxruntime-web's WASM, the bundled models, the
 * dashboard), without the source map, which is not uploaded. gzip is counted as wrangler counts it:
 * one gzip stream over all modules. Exits 1 above the budget.
 *
 *   node --import tsx bench/bundle.ts [dist] [--budget BYTES]
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { gzipSync } from "node:zlib";

/** 5 MB (decimal) gzipped: half of the Workers paid plan's 10 MB, and every MB is start-up time. */
export const BUNDLE_BUDGET_GZIP_BYTES = 5_000_000;

export interface UploadFile {
  name: string;
  bytes: number;
  gzipBytes: number;
}

export interface UploadSize {
  files: UploadFile[];
  bytes: number;
  /** One gzip stream over every file, main module last (wrangler's "Total Upload … gzip"). */
  gzipBytes: number;
}

/**
 * Files of a `wrangler deploy --outdir` that are uploaded: the main module and the modules it imports
 * (wrangler leaves files of earlier builds in the directory; the source map and its README are not sent).
 */
export function uploadSize(dir: string, main = "index.js"): UploadSize {
  const mainSource = readFileSync(join(dir, main), "utf8");
  const names = readdirSync(dir)
    .filter((name) => name === main || (!name.endsWith(".map") && mainSource.includes(`./${name}"`)))
    .sort((a, b) => Number(a === main) - Number(b === main) || a.localeCompare(b));
  const contents = names.map((name) => readFileSync(join(dir, name)));
  const files = names.map((name, i) => ({
    name,
    bytes: contents[i]!.length,
    gzipBytes: gzipSync(contents[i]!).length,
  }));
  return {
    files,
    bytes: files.reduce((sum, f) => sum + f.bytes, 0),
    gzipBytes: gzipSync(Buffer.concat(contents)).length,
  };
}

const mb = (bytes: number) => `${(bytes / 1e6).toFixed(2)} MB`;

function main(): void {
  const { values, positionals } = parseArgs({
    options: { budget: { type: "string" } },
    allowPositionals: true,
  });
  const dir = positionals[0] ?? "dist";
  const budget = values.budget === undefined ? BUNDLE_BUDGET_GZIP_BYTES : Number(values.budget);
  const size = uploadSize(dir);
  const width = Math.max(...size.files.map((f) => f.name.length));
  for (const f of [...size.files].sort((a, b) => b.gzipBytes - a.gzipBytes)) {
    console.log(`  ${f.name.padEnd(width)}  ${mb(f.bytes).padStart(9)}  gzip ${mb(f.gzipBytes).padStart(9)}`);
  }
  const verdict = size.gzipBytes <= budget ? "within" : "OVER";
  console.log(
    `Worker upload (${dir}, no source map): ${size.bytes.toLocaleString("en")} bytes (${mb(size.bytes)}), gzip ${size.gzipBytes.toLocaleString("en")} bytes (${mb(size.gzipBytes)}): ${verdict} the ${mb(budget)} gzip budget`,
  );
  if (size.gzipBytes > budget) process.exitCode = 1;
}

if (import.meta.url === `file://${process.argv[1]}`) main();
