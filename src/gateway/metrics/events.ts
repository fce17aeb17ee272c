import type { ScoreKind } from "../../core/scores.ts";
import type { ClassifyOutcome } from "../cascade/classify.ts";

/**
 * What the classify paths report about one request, once every text is answered: the input to the
 * metrics, Analytics Engine, the request log and the D1 usage counts (one definition for all four).
 */
export const ENDPOINTS = ["v1", "v2"] as const;
export type Endpoint = (typeof ENDPOINTS)[number];

/** Who answered a text. "degraded" is the student answering because the teacher failed. */
export const ANSWER_SOURCES = ["student", "teacher", "cache", "degraded"] as const;
export type AnswerSource = (typeof ANSWER_SOURCES)[number];

export interface TextAnswer {
  source: AnswerSource;
  /** The failure kind of a degraded answer; null otherwise. */
  reason: string | null;
  /** The student's routing score (the manifest's score kind); null when the model has no student. */
  score: number | null;
}

export interface AnsweredBatch {
  endpoint: Endpoint;
  model: string;
  version: string;
  /** null when the model has no student yet. */
  scoreKind: ScoreKind | null;
  /** USD per call of the model's teacher (its own, else TEACHER_PRICE_PER_CALL). */
  pricePerCall: number;
  /** The texts as the client sent them: only the request log reads them, and only with LOG_TEXT=true. */
  texts: readonly string[];
  answers: TextAnswer[];
  /** The student's one run over the batch. */
  studentMs: number;
  /** The teacher call for the escalated texts; null when none was escalated. */
  teacherMs: number | null;
}

export function answeredBatch(
  endpoint: Endpoint,
  texts: readonly string[],
  outcome: ClassifyOutcome,
): AnsweredBatch {
  const { model, manifest, results, verdicts, timings } = outcome;
  const answers = results.map((result, i): TextAnswer => {
    const source: AnswerSource = result.degraded ? "degraded" : result.source;
    return {
      source,
      reason: result.degraded ? (result.reason ?? "unknown") : null,
      score: verdicts?.[i]?.score ?? null,
    };
  });
  return {
    endpoint,
    model: model.name,
    version: model.version,
    scoreKind: manifest?.routing.score ?? null,
    pricePerCall: outcome.teacher.pricePerCall,
    texts,
    answers,
    studentMs: timings.studentMs,
    teacherMs: timings.teacherMs,
  };
}

/** Answers per source, every source present (zeros included). */
export function countSources(answers: readonly TextAnswer[]): Record<AnswerSource, number> {
  const counts = { student: 0, teacher: 0, cache: 0, degraded: 0 };
  for (const a of answers) counts[a.source]++;
  return counts;
}
