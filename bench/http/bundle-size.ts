import { readdir, readFile, stat } from "node:fs/promises";
import { join, relative } from "node:path";
import { gzipSync } from "node:zlib";
import { buildWorkerBundle } from "../common/bundle.ts";

export interface BundleFile {
  path: string;
  bytes: number;
  gzipBytes: number;
}

export interface BundleSize {
  bytes: number;
  gzipBytes: number;
  files: BundleFile[];
}

async function listFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...(await listFiles(path)));
    else if (entry.isFile()) out.push(path);
  }
  return out.sort();
}

/** The Worker bundle as `wrangler deploy --dry-run --outdir` writes it: every file, raw and gzipped. */
export async function bundleSize(workDir: string): Promise<BundleSize> {
  const outdir = join(workDir, "bundle");
  await buildWorkerBundle(outdir);
  const files: BundleFile[] = [];
  for (const path of await listFiles(outdir)) {
    const data = await readFile(path);
    files.push({
      path: relative(outdir, path),
      bytes: (await stat(path)).size,
      gzipBytes: gzipSync(data).length,
    });
  }
  return {
    bytes: files.reduce((s, f) => s + f.bytes, 0),
    gzipBytes: files.reduce((s, f) => s + f.gzipBytes, 0),
    files,
  };
}
