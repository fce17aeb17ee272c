import { type ColumnOptions, defaultHeader, isColumnIndex } from "./columns.ts";
import type { DelimitedRecord } from "./delimited.ts";
import { DataError } from "./errors.ts";
import { toExample } from "./example.ts";
import type { Example } from "./types.ts";

/**
 * Turns delimited records into examples. Every record must have as many fields as the header (or,
 * without one, the first record): a wrong count almost always means a broken quote or an unescaped
 * delimiter, and guessing would mislabel data silently.
 */
export function examplesFromRecords(
  records: DelimitedRecord[],
  file: string,
  options: ColumnOptions,
): Example[] {
  const first = records[0];
  if (first === undefined) throw new DataError(file, null, "no examples");
  const header = defaultHeader(options);
  const width = first.fields.length;
  const names = header ? first.fields.map((name) => name.trim()) : null;
  const resolve = (col: string, role: string): number => {
    if (isColumnIndex(col)) {
      const index = Number(col);
      if (index >= width) {
        throw new DataError(
          file,
          first.line,
          `${role} column ${index} is out of range: rows have ${width} columns`,
        );
      }
      return index;
    }
    if (names === null) {
      throw new DataError(
        file,
        null,
        `${role} column "${col}" is a name, but the file is read without a header`,
      );
    }
    const index = names.indexOf(col.trim());
    if (index < 0) {
      throw new DataError(file, first.line, `unknown column name "${col}" (header has: ${names.join(", ")})`);
    }
    return index;
  };
  const textIndex = resolve(options.textCol, "text");
  const labelIndex = resolve(options.labelCol, "label");
  if (textIndex === labelIndex) throw new DataError(file, null, "text and label columns are the same column");

  const examples: Example[] = [];
  for (const record of header ? records.slice(1) : records) {
    if (record.fields.length !== width) {
      throw new DataError(file, record.line, `expected ${width} columns, found ${record.fields.length}`);
    }
    const example = toExample(record.fields[textIndex]!, record.fields[labelIndex]!);
    if (typeof example === "string") throw new DataError(file, record.line, example);
    examples.push(example);
  }
  if (examples.length === 0) throw new DataError(file, null, "no examples");
  return examples;
}
