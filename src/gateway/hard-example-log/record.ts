import { sha256Hex } from "../../core/digest.ts";
import { normalizeText } from "../../core/featurizer.ts";
import { HardExampleRecord, type HardExampleRoute } from "../../core/hard-example.ts";
import type { ServedModel } from "../cascade/classify.ts";
import type { StudentVerdict } from "../cascade/decide.ts";
import { forLog, type RedactionMode } from "../privacy/policy.ts";
import type { TeacherAnswer } from "../teacher-client/types.ts";

/**
 * Builds one hard-example record (the contract in src/core/hard-example.ts) from what the cascade decided
 * for a text.
 *
 * The id is SHA-256 of `${model}\n${normalised text}`, normalised as the model's featuriser does, so two
 * texts the student cannot tell apart are one example. It is taken over the text *as logged*, after
 * redaction: a hash of the raw text would let anyone who guesses "my card is 4111…" confirm it from the
 * log, and two messages that differ only in an e-mail address are, for training, the same example.
 */
export interface RecordInput {
  model: Pick<ServedModel, "name" | "version" | "normalization">;
  text: string;
  /** null when the model has no student yet. */
  verdict: Pick<StudentVerdict, "label" | "confidence" | "probs"> | null;
  /** The teacher's answer and how long it took; null for a degraded answer. */
  teacher: { answer: TeacherAnswer; latencyMs: number; protocol: string } | null;
  route: HardExampleRoute;
  reason: string;
  requestId: string;
  /** When the request was answered. */
  at: Date;
  redaction: RedactionMode;
  /** The probability that this answer was logged (1, or the audit rate for an audit sample). */
  loggedP: number;
}

/** The id of a (model, logged text) pair. */
export function hardExampleId(
  model: Pick<ServedModel, "name" | "normalization">,
  loggedText: string,
): Promise<string> {
  return sha256Hex(`${model.name}\n${normalizeText(loggedText, model.normalization)}`);
}

// Probabilities leave softmax in [0, 1] but float rounding can land a hair outside; the contract is strict.
const clamp01 = (p: number) => Math.min(1, Math.max(0, p));

export async function buildRecord(input: RecordInput): Promise<HardExampleRecord> {
  const { model, verdict, teacher } = input;
  const logged = forLog(input.text, input.redaction);
  const record: HardExampleRecord = {
    id: await hardExampleId(model, logged.text),
    ts: input.at.toISOString(),
    model: model.name,
    version: model.version,
    text: logged.text,
    redactions: logged.redactions,
    student: verdict && {
      label: verdict.label,
      confidence: clamp01(verdict.confidence),
      probs: Array.from(verdict.probs, clamp01),
    },
    teacher: teacher && {
      label: teacher.answer.label,
      confidence: clamp01(teacher.answer.confidence),
      probs: teacher.answer.probs?.map(clamp01) ?? null,
      protocol: teacher.protocol,
      latency_ms: Math.max(0, teacher.latencyMs),
    },
    route: input.route,
    reason: input.reason,
    request_id: input.requestId,
    logged_p: input.loggedP,
  };
  // The contract is checked where records are made, not only where they are read: a record the consumer
  // would reject must fail here, loudly, in tests.
  return HardExampleRecord.parse(record);
}
