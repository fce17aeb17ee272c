import { z } from "zod";
import { isBlank } from "../../core/text.ts";
import { parseTsv } from "../../distill/data/delimited.ts";
import { toExample } from "../../distill/data/example.ts";
import { DataError, parseJsonlRows, stringField } from "../../distill/data/index.ts";
import { readDataFile } from "../../distill/data/read.ts";
import { splitLines, stripBom } from "../../distill/data/text.ts";

/**
 * A recorded-answers file: what a teacher answered for known texts, replayed by
 * `npm run teacher -- --answers`. Two formats, told apart by the first non-blank line (see
 * answersFormat):
 *
 * - TSV, no header: `text<TAB>label` per line. The label is what follows the last tab.
 * - JSONL: `{"text": "...", "label": "...", "probs": {"<label>": p, ...}}` per line, `probs` optional.
 *   `probs` maps labels to probabilities; the labels it leaves out share what is left of 1 evenly, so
 *   `{"spam": 0.9}` is a whole distribution. Other keys (ids, metadata) are ignored.
 *
 * Blank lines are skipped. This module checks the syntax; the labels are checked against the model's
 * label set by answer-book.ts. Every error names `file:line`.
 */
export interface RecordedAnswer {
  line: number;
  text: string;
  label: string;
  probs: Readonly<Record<string, number>> | null;
}

const Probability = z
  .number({ error: "probabilities must be numbers" })
  .min(0, "probabilities must be at least 0")
  .max(1, "probabilities must be at most 1");

export const AnswerLine = z.object(
  {
    text: stringField("text"),
    label: stringField("label"),
    probs: z
      .record(z.string(), Probability, { error: 'field "probs" must be an object of label → probability' })
      .optional(),
  },
  { error: "expected a JSON object" },
);
export type AnswerLine = z.input<typeof AnswerLine>;

export type AnswersFormat = "tsv" | "jsonl";

/**
 * JSONL when the first non-blank line is a JSON object, or starts like one and has no tab (a broken
 * JSONL line is then reported as bad JSON); TSV otherwise, so a TSV text may start with "{".
 */
export function answersFormat(content: string): AnswersFormat {
  const first = (splitLines(stripBom(content)).find((line) => !isBlank(line)) ?? "").trim();
  if (!first.startsWith("{")) return "tsv";
  return !first.includes("\t") || isJsonObject(first) ? "jsonl" : "tsv";
}

function isJsonObject(line: string): boolean {
  try {
    const value: unknown = JSON.parse(line);
    return typeof value === "object" && value !== null && !Array.isArray(value);
  } catch {
    return false;
  }
}

function answer(file: string, line: number, text: string, label: string): Omit<RecordedAnswer, "probs"> {
  const example = toExample(text, label);
  if (typeof example === "string") throw new DataError(file, line, example);
  return { line, ...example };
}

function parseTsvAnswers(content: string, file: string): RecordedAnswer[] {
  return parseTsv(content, file).map(({ line, fields }) => {
    if (fields.length < 2) throw new DataError(file, line, "expected text<TAB>label");
    // Labels never hold a tab; a text might.
    const label = fields.at(-1)!;
    return { ...answer(file, line, fields.slice(0, -1).join("\t"), label), probs: null };
  });
}

function parseJsonlAnswers(content: string, file: string): RecordedAnswer[] {
  return parseJsonlRows(content, file, AnswerLine).map(({ line, row }) => ({
    ...answer(file, line, row.text, row.label),
    probs: row.probs ?? null,
  }));
}

export function parseAnswers(content: string, file: string): RecordedAnswer[] {
  const answers =
    answersFormat(content) === "jsonl" ? parseJsonlAnswers(content, file) : parseTsvAnswers(content, file);
  if (answers.length === 0) throw new DataError(file, null, "no answers");
  return answers;
}

export async function readAnswersFile(file: string): Promise<RecordedAnswer[]> {
  return parseAnswers(await readDataFile(file), file);
}

/** One JSONL line of an answers file, as the synthesiser writes it. */
export function answerJsonLine(line: AnswerLine): string {
  return JSON.stringify(line);
}
