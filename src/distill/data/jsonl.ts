import { z } from "zod";
import { isBlank } from "../../core/text.ts";
import { DataError } from "./errors.ts";
import { toExample } from "./example.ts";
import { splitLines, stripBom } from "./text.ts";
import type { Example } from "./types.ts";

const field = (name: string) =>
  z.string({
    error: (issue) =>
      issue.input === undefined ? `missing field "${name}"` : `field "${name}" must be a string`,
  });

/** One JSONL row; other keys (ids, metadata) are allowed and ignored. */
const JsonlRow = z.object(
  { text: field("text"), label: field("label") },
  { error: "expected a JSON object" },
);

/** Parses `{"text": ..., "label": ...}` per line; blank lines are ignored. Throws DataError on the first bad line. */
export function parseJsonl(content: string, file: string): Example[] {
  const examples: Example[] = [];
  splitLines(stripBom(content)).forEach((line, index) => {
    if (isBlank(line)) return;
    const lineNo = index + 1;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch (error) {
      throw new DataError(file, lineNo, `bad JSON: ${(error as Error).message}`);
    }
    const row = JsonlRow.safeParse(value);
    if (!row.success) throw new DataError(file, lineNo, row.error.issues[0]?.message ?? "invalid row");
    const example = toExample(row.data.text, row.data.label);
    if (typeof example === "string") throw new DataError(file, lineNo, example);
    examples.push(example);
  });
  if (examples.length === 0) throw new DataError(file, null, "no examples");
  return examples;
}
