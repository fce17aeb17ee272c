import { type core, z } from "zod";
import { DataError } from "./errors.ts";
import { toExample } from "./example.ts";
import { JsonSyntaxError, lineAt, locateJson } from "./json-locate.ts";
import { stripBom } from "./text.ts";
import type { Example } from "./types.ts";

export const CLINC_OOS_LABEL = "oos";

const SPLITS = ["train", "val", "test"] as const;
type SplitName = (typeof SPLITS)[number];

const Rows = z.array(z.tuple([z.string(), z.string()]));

/**
 * The CLINC150 layouts (data_full, data_small, data_imbalanced, data_oos_plus) share these keys.
 * Only `train` is required, so a file holding a subset still loads; missing splits are carved out
 * by the caller. Unknown keys are rejected: they usually mean a different file was passed.
 */
const ClincFile = z.strictObject({
  train: Rows,
  val: Rows.optional(),
  test: Rows.optional(),
  oos_train: Rows.optional(),
  oos_val: Rows.optional(),
  oos_test: Rows.optional(),
});

/** The splits found in the file; null where the file has none. */
export interface ClincSplits {
  train: Example[];
  val: Example[] | null;
  test: Example[] | null;
}

/** Parses a CLINC150 JSON file; `oos_*` rows join their split with the label "oos". */
export function parseClinc(content: string, file: string): ClincSplits {
  const text = stripBom(content);
  const lineOf = (path: (string | number)[]): number | null => {
    const offset = locateJson(text, path);
    return offset === null ? null : lineAt(text, offset);
  };
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw syntaxError(text, file, error as Error);
  }
  const parsed = ClincFile.safeParse(json, { reportInput: true });
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const path = issue.path.filter((step) => typeof step !== "symbol");
    // An unknown key's issue sits on the object itself; point at the key instead.
    const at = issue.code === "unrecognized_keys" ? [...path, ...issue.keys.slice(0, 1)] : path;
    throw new DataError(file, lineOf(at), describeIssue(issue, path));
  }
  const data = parsed.data;
  const build = (split: SplitName): Example[] | null => {
    const inScope = data[split];
    const oos = data[`oos_${split}`];
    if (inScope === undefined) {
      if (oos !== undefined)
        throw new DataError(file, lineOf([`oos_${split}`]), `"oos_${split}" without "${split}"`);
      return null;
    }
    const examples = inScope.map((row, i) => rowToExample(row, split, i));
    oos?.forEach((row, i) => {
      const key = `oos_${split}`;
      if (row[1].trim() !== CLINC_OOS_LABEL) {
        throw new DataError(
          file,
          lineOf([key, i]),
          `${key}[${i}]: label must be "${CLINC_OOS_LABEL}", found "${row[1]}"`,
        );
      }
      examples.push(rowToExample(row, key, i));
    });
    return examples;
  };
  const rowToExample = (row: [string, string], key: string, i: number): Example => {
    const example = toExample(row[0], row[1]);
    if (typeof example === "string") throw new DataError(file, lineOf([key, i]), `${key}[${i}]: ${example}`);
    return example;
  };
  const train = build("train")!;
  if (train.length === 0) throw new DataError(file, lineOf(["train"]), '"train" is empty');
  return { train, val: build("val"), test: build("test") };
}

function syntaxError(text: string, file: string, error: Error): DataError {
  try {
    locateJson(text);
  } catch (located) {
    if (located instanceof JsonSyntaxError) {
      return new DataError(file, lineAt(text, located.offset), `bad JSON: ${located.message}`);
    }
  }
  // Our scanner accepted what JSON.parse refused: report JSON.parse's own words.
  return new DataError(file, null, `bad JSON: ${error.message}`);
}

function describeIssue(issue: core.$ZodIssue, path: (string | number)[]): string {
  const [key, row] = path;
  if (issue.code === "unrecognized_keys") {
    const keys = issue.keys.map((k) => `"${k}"`).join(", ");
    return `unknown key ${keys}: a CLINC150 file has only train, val, test, oos_train, oos_val, oos_test`;
  }
  if (key === undefined) return "expected a JSON object with CLINC150 splits";
  if (row === undefined) {
    return issue.code === "invalid_type" && issue.input === undefined
      ? `missing key "${key}"`
      : `"${key}" must be an array of [text, label] rows`;
  }
  return `${key}[${row}]: expected a [text, label] row of two strings (${issue.message})`;
}
