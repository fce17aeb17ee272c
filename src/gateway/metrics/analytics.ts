import type { AnsweredBatch, TextAnswer } from "./events.ts";

/**
 * Workers Analytics Engine: with an ANALYTICS binding (wrangler.toml [[analytics_engine_datasets]]),
 * one data point per answered text, so global figures can be queried with SQL across every isolate.
 *   blobs:   model, version, endpoint, source, reason ("" unless degraded)
 *   doubles: routing score (-1 for a model with no student), student ms, teacher ms (0 when the text
 *            did not go to the teacher),
 *            request ms, texts the point stands for (1; see below)
 *   indexes: [model] (the sampling key)
 * Analytics Engine takes at most 250 points per invocation: a larger batch (MAX_BATCH above 250) is
 * written as one point per (source, reason) with the mean score and the number of texts in double 5.
 * Writes are fire-and-forget; a failing write is logged and never fails the request.
 */
const MAX_POINTS = 250;

/** The score double of an answer from a model with no student (scores are otherwise in [0, 1]). */
const NO_SCORE = -1;

function point(batch: AnsweredBatch, answer: TextAnswer, requestMs: number, texts = 1) {
  return {
    blobs: [batch.model, batch.version, batch.endpoint, answer.source, answer.reason ?? ""],
    doubles: [
      answer.score ?? NO_SCORE,
      batch.studentMs,
      // Every source but the confident student went to the teacher (answered, cached or failed).
      answer.source !== "student" ? (batch.teacherMs ?? 0) : 0,
      requestMs,
      texts,
    ],
    indexes: [batch.model],
  };
}

/** One answer per (source, reason), with the mean score, and how many texts it stands for. */
function grouped(answers: readonly TextAnswer[]): { answer: TextAnswer; texts: number }[] {
  const groups = new Map<string, { answer: TextAnswer; texts: number; sum: number }>();
  for (const a of answers) {
    const key = `${a.source}\n${a.reason ?? ""}`;
    const g = groups.get(key);
    if (g) {
      g.texts++;
      g.sum += a.score ?? NO_SCORE;
    } else groups.set(key, { answer: a, texts: 1, sum: a.score ?? NO_SCORE });
  }
  return [...groups.values()].map((g) => ({
    answer: { ...g.answer, score: g.sum / g.texts },
    texts: g.texts,
  }));
}

export function writeAnalytics(
  dataset: AnalyticsEngineDataset | undefined,
  batch: AnsweredBatch,
  requestMs: number,
): void {
  if (!dataset) return;
  const points =
    batch.answers.length <= MAX_POINTS
      ? batch.answers.map((answer) => point(batch, answer, requestMs))
      : grouped(batch.answers).map((g) => point(batch, g.answer, requestMs, g.texts));
  try {
    for (const p of points) dataset.writeDataPoint(p);
  } catch (error) {
    console.error("analytics engine: data point not written:", error);
  }
}
