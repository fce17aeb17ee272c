import { isBlank } from "../../core/text.ts";
import type { Example } from "./types.ts";

/**
 * Builds an example from raw fields, or says what is wrong with them. Labels are trimmed because
 * stray spaces around a label in a hand-edited file would silently create a second class; texts are
 * kept verbatim because whitespace may be part of what the model should see.
 */
export function toExample(text: string, label: string): Example | string {
  // The gateway would refuse a blank text (core/text.ts), so a model must not learn from one.
  if (isBlank(text)) return "empty text";
  const trimmed = label.trim();
  if (trimmed === "") return "empty label";
  return { text, label: trimmed };
}
