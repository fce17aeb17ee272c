import { z } from "zod";

/**
 * The rules an input text must meet, for every surface that takes texts: the gateway's /v1/classify and
 * /v2 infer, the teacher server's OpenAI and V2 routes, and the toolkit's data loaders.
 */

/** The gateway's defaults (MAX_TEXT_CHARS, MAX_BATCH), which the benchmarks also size their requests by. */
export const DEFAULT_MAX_TEXT_CHARS = 4000;
export const DEFAULT_MAX_BATCH = 64;

export interface TextLimits {
  /** Longest text, in UTF-16 code units (JavaScript's string length, as JSON Schema's maxLength counts). */
  maxTextChars: number;
  /** Most texts one request may carry. */
  maxBatch: number;
}

// A text must carry something to classify. JSON Schema can state this one too ("pattern").
const NOT_BLANK = /\S/;
export const BLANK_TEXT_MESSAGE = "must not be empty or whitespace only";

/** Empty or white space only: nothing a model can answer, and a line a loader skips. */
export function isBlank(text: string): boolean {
  return !NOT_BLANK.test(text);
}

/** One text: not blank, at most `maxTextChars` long (no limit when omitted). */
export function textSchema(maxTextChars?: number) {
  const text = maxTextChars === undefined ? z.string() : z.string().max(maxTextChars);
  return text.regex(NOT_BLANK, BLANK_TEXT_MESSAGE);
}

/** A batch of texts: 1 to `maxBatch` of them, each one `text` (by default textSchema under the limits). */
export function textsSchema(limits: TextLimits, text = textSchema(limits.maxTextChars)) {
  return z.array(text).min(1).max(limits.maxBatch);
}
