import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

/** Test helpers: where the shipped fixtures and data sets are, and throwaway files for bad input. */

export const fixture = (name: string): string =>
  fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url));

export const datasetFile = (path: string): string =>
  fileURLToPath(new URL(`../../../datasets/${path}`, import.meta.url));

/** A temp directory; call `cleanup` in afterAll. */
export function tempDir(): { write: (name: string, content: string) => string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), "apprentice-data-"));
  return {
    write: (name, content) => {
      const file = join(dir, name);
      writeFileSync(file, content);
      return file;
    },
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}
