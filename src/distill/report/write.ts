/** Writes a rendered report to disk; kept apart so rendering stays pure and testable without files. */
import { mkdir, writeFile } from "node:fs/promises";
import { dirname, isAbsolute, join, normalize, sep } from "node:path";
import type { EvalDetails, EvalSummary } from "../eval/types.ts";
import { renderReport } from "./markdown.ts";

export const REPORT_MARKDOWN = "report.md";

/**
 * Writes `report.md` and its charts under `dir` (a model folder such as models/<name>) and returns the
 * paths written. `sections` are markdown appended after the standard ones. Chart paths are checked to stay inside `dir`, as they are joined onto it.
 */
export async function writeReport(
  dir: string,
  summary: EvalSummary,
  details: EvalDetails,
  sections: readonly string[] = [],
): Promise<string[]> {
  const { markdown, files } = renderReport(summary, details, sections);
  const entries: [string, string][] = [[REPORT_MARKDOWN, markdown], ...Object.entries(files)];
  const written: string[] = [];
  for (const [relative, content] of entries) {
    const clean = normalize(relative);
    if (isAbsolute(clean) || clean === ".." || clean.startsWith(`..${sep}`)) {
      throw new Error(`report file path escapes the report folder: ${relative}`);
    }
    const target = join(dir, clean);
    await mkdir(dirname(target), { recursive: true });
    await writeFile(target, content, "utf8");
    written.push(target);
  }
  return written;
}
