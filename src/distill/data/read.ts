import { readFile } from "node:fs/promises";
import { type ColumnOptions, defaultHeader } from "./columns.ts";
import { parseCsv, parseTsv } from "./delimited.ts";
import { isSmsCollectionName } from "./detect.ts";
import { DataError } from "./errors.ts";
import { parseJsonl } from "./jsonl.ts";
import { examplesFromRecords } from "./table.ts";
import type { DataFormat, Example } from "./types.ts";

export async function readDataFile(file: string): Promise<string> {
  try {
    return await readFile(file, "utf8");
  } catch (error) {
    throw new DataError(
      file,
      null,
      `cannot read file (${(error as NodeJS.ErrnoException).code ?? String(error)})`,
    );
  }
}

/**
 * Columns for a delimited file: the user's choice, else "text"/"label" by header name — except the
 * SMS Spam Collection, which has no header and puts the label first.
 */
export function resolveColumns(
  file: string,
  given: { textCol?: string | undefined; labelCol?: string | undefined; header?: boolean | undefined },
): ColumnOptions {
  const sms = isSmsCollectionName(file);
  const columns: ColumnOptions = {
    textCol: given.textCol ?? (sms ? "1" : "text"),
    labelCol: given.labelCol ?? (sms ? "0" : "label"),
  };
  return { ...columns, header: given.header ?? defaultHeader(columns) };
}

/** Whether a file is read as the SMS Spam Collection: label-first headerless TSV. */
export function isSmsLayout(format: DataFormat, columns: ColumnOptions): boolean {
  return format === "tsv" && columns.header === false && columns.textCol === "1" && columns.labelCol === "0";
}

/** Parses a file that holds one list of examples (no splits inside). */
export function parseFlat(
  file: string,
  content: string,
  format: DataFormat,
  columns: ColumnOptions,
): Example[] {
  switch (format) {
    case "jsonl":
      return parseJsonl(content, file);
    case "csv":
      return examplesFromRecords(parseCsv(content, file), file, columns);
    case "tsv":
      return examplesFromRecords(parseTsv(content, file), file, columns);
    case "clinc":
      throw new DataError(
        file,
        null,
        "a CLINC150 JSON file holds its own splits: pass it as `data`, not train/val/test",
      );
  }
}
