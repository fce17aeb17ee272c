import { z } from "zod";
import { isBlank } from "../../core/text.ts";
import { DataError } from "./errors.ts";
import { toExample } from "./example.ts";
import { splitLines, stripBom } from "./text.ts";
import type { Example } from "./types.ts";

/** A required string field whose errors name it, as every line-based loader reports them. */
export const stringField = (name: string) =>
  z.string({
    error: (issue) =>
      issue.input === undefined ? `missing field "${name}"` : `field "${name}" must be a string`,
  });

/** One JSONL row; other keys (ids, metadata) are allowed and ignored. */
const JsonlRow = z.object(
  { text: stringField("text"), label: stringField("label") },
  { error: "expected a JSON object" },
);

/** A parsed JSONL row with the 1-based line it came from, for later errors. */
export interface JsonlRecord<T> {
  line: number;
  row: T;
}

/**
 * Parses one JSON value per line with `schema`; blank lines are ignored. Throws DataError naming the
 * first bad line (bad JSON, or the schema's first issue).
 */
export function parseJsonlRows<T>(content: string, file: string, schema: z.ZodType<T>): JsonlRecord<T>[] {
  const records: JsonlRecord<T>[] = [];
  splitLines(stripBom(content)).forEach((text, index) => {
    if (isBlank(text)) return;
    const line = index + 1;
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (error) {
      throw new DataError(file, line, `bad JSON: ${(error as Error).message}`);
    }
    const row = schema.safeParse(value);
    if (!row.success) {
      const issue = row.error.issues[0];
      // Top-level field messages name their field; a nested one (probs.spam) is named by its path.
      const where = issue && issue.path.length > 1 ? `${issue.path.map(String).join(".")}: ` : "";
      throw new DataError(file, line, `${where}${issue?.message ?? "invalid row"}`);
    }
    records.push({ line, row: row.data });
  });
  return records;
}

/** Parses `{"text": ..., "label": ...}` per line; blank lines are ignored. Throws DataError on the first bad line. */
export function parseJsonl(content: string, file: string): Example[] {
  const examples = parseJsonlRows(content, file, JsonlRow).map(({ line, row }) => {
    const example = toExample(row.text, row.label);
    if (typeof example === "string") throw new DataError(file, line, example);
    return example;
  });
  if (examples.length === 0) throw new DataError(file, null, "no examples");
  return examples;
}
