import { isBlank } from "../../core/text.ts";
import { DataError } from "./errors.ts";
import { splitLines, stripBom } from "./text.ts";

/** One row of a delimited file with the physical line it starts on, for error messages. */
export interface DelimitedRecord {
  line: number;
  fields: string[];
}

/**
 * TSV as the SMS Spam Collection writes it: one record per line, fields split on tabs, and quote
 * characters taken literally — its texts contain stray `"` that are not CSV quoting, and a CSV
 * reader would swallow whole lines into one field.
 */
export function parseTsv(content: string, _file: string): DelimitedRecord[] {
  const records: DelimitedRecord[] = [];
  splitLines(stripBom(content)).forEach((line, index) => {
    if (!isBlank(line)) records.push({ line: index + 1, fields: line.split("\t") });
  });
  return records;
}

/**
 * RFC 4180 CSV: comma-separated fields, optionally quoted; inside quotes, `""` is a quote and
 * commas and newlines are data. A hand-written reader rather than a dependency because this is all
 * we need, it must report line numbers in our error format, and the repo's dependency list is kept
 * short. Two leniencies: a quote in the middle of an unquoted field is kept as a character (as most
 * spreadsheet exports expect), and blank lines between records are skipped.
 */
export function parseCsv(content: string, file: string): DelimitedRecord[] {
  const text = stripBom(content);
  const records: DelimitedRecord[] = [];
  let fields: string[] = [];
  let field = "";
  let quoted = false; // the current field started with a quote
  let inQuotes = false;
  let line = 1;
  let recordLine = 1;
  let quoteLine = 1;

  const endRecord = () => {
    const blank = fields.length === 0 && !quoted && isBlank(field);
    if (!blank) records.push({ line: recordLine, fields: [...fields, field] });
    fields = [];
    field = "";
    quoted = false;
  };

  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (inQuotes) {
      if (c === '"') {
        if (text[i + 1] === '"') {
          field += '"';
          i++;
        } else {
          inQuotes = false;
        }
      } else {
        if (c === "\n") line++;
        field += c;
      }
      continue;
    }
    if (c === ",") {
      fields.push(field);
      field = "";
      quoted = false;
    } else if (c === "\n" || c === "\r") {
      if (c === "\r" && text[i + 1] === "\n") i++;
      endRecord();
      line++;
      recordLine = line;
    } else if (quoted) {
      throw new DataError(file, line, `unexpected character ${JSON.stringify(c)} after a closing quote`);
    } else if (c === '"' && field === "") {
      quoted = true;
      inQuotes = true;
      quoteLine = line;
    } else {
      field += c;
    }
  }
  if (inQuotes) throw new DataError(file, quoteLine, "quoted field is never closed");
  if (fields.length > 0 || quoted || !isBlank(field)) endRecord();
  return records;
}
