import { z } from "zod";
import { type Redacted, redact } from "./redact.ts";

/**
 * Per-model redaction, configured by the REDACTION variable: a JSON object from model name to mode.
 * - "log" (the default for every model): the hard-example record holds the redacted text; the teacher
 *   sees the text as the client sent it.
 * - "log+teacher": the teacher is sent the redacted text too (a third-party LLM, say).
 * - "off": nothing is redacted (data that is known to hold no personal data, or test corpora).
 * The key "*" sets the mode for models the object does not name.
 */
export const REDACTION_MODES = ["log", "log+teacher", "off"] as const;
export type RedactionMode = (typeof REDACTION_MODES)[number];

export const RedactionPolicy = z.record(z.string().min(1), z.enum(REDACTION_MODES));
export type RedactionPolicy = z.infer<typeof RedactionPolicy>;

/** REDACTION as it arrives: a JSON string (`--var`, `.dev.vars`, dashboard) or a TOML `[vars]` table. */
export const RedactionVar = z
  .union([z.string(), z.record(z.string(), z.unknown())])
  .transform((raw, ctx): unknown => {
    if (typeof raw !== "string") return raw;
    try {
      return JSON.parse(raw);
    } catch {
      ctx.addIssue({ code: "custom", message: 'must be a JSON object such as {"clinc150": "log+teacher"}' });
      return z.NEVER;
    }
  })
  .pipe(RedactionPolicy);

/** The privacy variable, validated with the rest of the configuration (config.ts). */
export const PrivacyEnvSchema = z.object({ REDACTION: RedactionVar.default({}) });

export function modeFor(policy: RedactionPolicy, model: string): RedactionMode {
  return policy[model] ?? policy["*"] ?? "log";
}

/** The text as it may be logged under a mode. */
export function forLog(text: string, mode: RedactionMode): Redacted {
  return mode === "off" ? { text, redactions: {} } : redact(text);
}

/** The text as it may be sent to the teacher under a mode. */
export function forTeacher(text: string, mode: RedactionMode): string {
  return mode === "log+teacher" ? redact(text).text : text;
}
