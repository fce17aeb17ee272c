import { mkdir, readFile, writeFile } from "node:fs/promises";
import { dirname, relative } from "node:path";

/** What a new BENCHMARKS.md starts with, before any benchmark has written its section. */
export const BENCHMARKS_HEADER =
  "# Benchmarks\n\nMeasured on the machines named in each section; every figure comes from the command shown.\n";

/** The comment markers that delimit one benchmark's section of BENCHMARKS.md, e.g. `bench:loop`. */
export function sectionMarkers(name: string): { start: string; end: string } {
  return { start: `<!-- bench:${name}:start -->`, end: `<!-- bench:${name}:end -->` };
}

/**
 * Puts `section` (which must begin with the start marker and end with the end marker) in place of the
 * text between the markers of `existing`, or appends it when the markers are absent; everything outside
 * the markers is kept byte for byte. `existing` null means there is no file yet.
 */
export function spliceSection(
  existing: string | null,
  markers: { start: string; end: string },
  section: string,
): string {
  if (!section.startsWith(markers.start) || !section.endsWith(markers.end))
    throw new Error(`a section must be delimited by ${markers.start} and ${markers.end}`);
  const text = existing ?? BENCHMARKS_HEADER;
  const at = text.indexOf(markers.start);
  const end = text.indexOf(markers.end);
  return at >= 0 && end > at
    ? `${text.slice(0, at)}${section}${text.slice(end + markers.end.length)}`
    : `${text.trimEnd()}\n\n${section}\n`;
}

/** Reads the markdown file (if any), splices the section in and writes it back. */
export async function writeSection(
  path: string,
  markers: { start: string; end: string },
  section: string,
): Promise<void> {
  let existing: string | null = null;
  try {
    existing = await readFile(path, "utf8");
  } catch {
    // no file yet: spliceSection starts one
  }
  await writeFile(path, spliceSection(existing, markers, section));
}

/**
 * Writes a benchmark's results as JSON, then its section of BENCHMARKS.md, rendered with the path of
 * that JSON relative to the markdown file (for the section's link to its raw figures).
 */
export async function writeReport(
  paths: { markdown: string; json: string },
  markers: { start: string; end: string },
  results: unknown,
  render: (jsonLink: string) => string,
): Promise<void> {
  await mkdir(dirname(paths.json), { recursive: true });
  await writeFile(paths.json, `${JSON.stringify(results, null, 2)}\n`);
  await writeSection(paths.markdown, markers, render(relative(dirname(paths.markdown), paths.json)));
}
