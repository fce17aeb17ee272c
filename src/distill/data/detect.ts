import { basename, extname } from "node:path";
import type { DataFormat } from "./types.ts";

const BY_EXTENSION: Record<string, DataFormat> = {
  ".json": "clinc",
  ".jsonl": "jsonl",
  ".ndjson": "jsonl",
  ".csv": "csv",
  ".tsv": "tsv",
  ".tab": "tsv",
};

/** The SMS Spam Collection ships as `SMSSpamCollection` (no extension) or with `.tsv`/`.txt` added. */
export function isSmsCollectionName(file: string): boolean {
  return basename(file).startsWith("SMSSpamCollection");
}

/**
 * Guesses the format from the extension, else from the first non-blank line: a JSON object on its
 * own line is JSONL, a line starting a JSON object that continues is a CLINC file, a tab means TSV.
 */
export function detectFormat(file: string, content: string): DataFormat {
  const byExtension = BY_EXTENSION[extname(file).toLowerCase()];
  if (byExtension !== undefined) return byExtension;
  if (isSmsCollectionName(file)) return "tsv";
  const firstLine = content.split(/\r?\n/).find((line) => line.trim() !== "") ?? "";
  if (firstLine.trimStart().startsWith("{")) return parsesAsObject(firstLine) ? "jsonl" : "clinc";
  return firstLine.includes("\t") ? "tsv" : "csv";
}

function parsesAsObject(line: string): boolean {
  try {
    const value: unknown = JSON.parse(line);
    return typeof value === "object" && value !== null && !Array.isArray(value);
  } catch {
    return false;
  }
}
