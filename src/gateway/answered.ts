import type { RoutingScoreKind } from "../core/routing-score.ts";
import type { ClassifyOutcome } from "./cascade/classify.ts";

/**
 * What an inference route hands over once every text of a request is answered: one AnsweredBatch, given
 * to each listener the app wired for the request (the hard-example log, telemetry). Listeners must not
 * throw or block: anything slow goes to ctx.waitUntil.
 */
export const ENDPOINTS = ["v1", "v2"] as const;
/** v1: POST /v1/classify; v2: POST /v2/models/{name}/infer. */
export type Endpoint = (typeof ENDPOINTS)[number];

export interface AnsweredBatch extends ClassifyOutcome {
  endpoint: Endpoint;
}

export type AnswerListener = (batch: AnsweredBatch) => void;

/** The route's way to its listeners, set by the app for every inference request. */
export type AnsweredVariables = { onAnswered: AnswerListener };

/** One listener for many: each is called in turn, and one that throws is logged and skips no other. */
export function allOf(listeners: readonly AnswerListener[]): AnswerListener {
  return (batch) => {
    for (const listener of listeners) {
      try {
        listener(batch);
      } catch (error) {
        console.error("answered: a listener failed:", error);
      }
    }
  };
}

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

/**
 * A batch as telemetry counts it (metrics, Analytics Engine, request log, D1 usage counts): who answered
 * each text and how long it took, without manifest or probabilities.
 */
export interface AnswerSummary {
  endpoint: Endpoint;
  model: string;
  version: string;
  /** null when the model has no student yet. */
  scoreKind: RoutingScoreKind | null;
  /** USD per call of the model's teacher (its definition's, else TEACHER_PRICE_PER_CALL). */
  pricePerCall: number;
  /** The texts as the client sent them: only the request log reads them, and only with LOG_TEXT=true. */
  texts: readonly string[];
  answers: TextAnswer[];
  /** The student's one run over the batch. */
  studentMs: number;
  /** The teacher call for the escalated texts; null when none was escalated. */
  teacherMs: number | null;
}

export function summarize(batch: AnsweredBatch): AnswerSummary {
  const { model, manifest, results, verdicts, timings } = batch;
  const answers = results.map(
    (result, i): TextAnswer => ({
      source: result.degraded ? "degraded" : result.source,
      reason: result.degraded ? (result.reason ?? "unknown") : null,
      score: verdicts?.[i]?.score ?? null,
    }),
  );
  return {
    endpoint: batch.endpoint,
    model: model.name,
    version: model.version,
    scoreKind: manifest?.routing.score ?? null,
    pricePerCall: batch.teacher.pricePerCall,
    texts: batch.texts,
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
