import {
  type AnswerListener,
  type AnswerSummary,
  countSources,
  summarize,
  type TextAnswer,
} from "../answered.ts";
import type { GatewayConfig } from "../config.ts";
import { type AppContext, waitUntilOf } from "../context.ts";
import { forLog, modeFor } from "../privacy/policy.ts";
import { GatewayMetrics } from "./gateway-metrics.ts";
import { UsageFlusher } from "./usage.ts";

/**
 * Per-request telemetry of the inference routes. The app starts it as a request comes in (the clock runs
 * from there, refused requests included), registers its listener for the route's answered batch, and
 * finishes it once the response is ready: the isolate's Prometheus metrics, Analytics Engine, the D1
 * usage counts and the JSON request log. None of it can fail or delay the answer: errors are logged, and
 * the slow part (the usage flush) runs in ctx.waitUntil. workerd's clock is coarse (1 ms locally; in
 * production it advances only on I/O), so a short duration can read as 0 ms.
 */
export const INFERENCE_PATHS = [
  "/v1/classify",
  "/v1/chat/completions",
  "/v2/models/:name/infer",
  "/v2/models/:name/versions/:version/infer",
];

/** What one isolate (one app) accumulates: its metrics and its not yet flushed usage counts. */
export class IsolateTelemetry {
  readonly metrics = new GatewayMetrics();
  readonly usage = new UsageFlusher();

  /** Starts one inference request's telemetry. */
  start(): RequestTelemetry {
    return new RequestTelemetry(this);
  }
}

export class RequestTelemetry {
  private readonly started = performance.now();
  /** null until the route answers: a refused request has no answers. */
  private summary: AnswerSummary | null = null;

  constructor(private readonly isolate: IsolateTelemetry) {}

  readonly answered: AnswerListener = (batch) => {
    this.summary = summarize(batch);
  };

  finish(c: AppContext): void {
    observe(c, this.isolate, this.summary, performance.now() - this.started);
  }
}

function observe(c: AppContext, state: IsolateTelemetry, summary: AnswerSummary | null, requestMs: number) {
  try {
    const { config } = c.var.services;
    if (summary) {
      state.metrics.record(summary, requestMs);
      writeAnalytics(c.env?.ANALYTICS, summary, requestMs);
      const queue = c.env?.HARD_EXAMPLES;
      if (queue)
        state.usage.record(summary, { queue, flushMs: config.metrics.usageFlushMs, ...waitUntilOf(c) });
    }
    if (config.metrics.logRequests) {
      const { method, path } = c.req;
      const line = { requestId: c.var.requestId, method, path, status: c.res.status, summary, requestMs };
      console.log(requestLogLine(line, config));
    }
  } catch (error) {
    console.error("telemetry: not recorded:", error);
  }
}

/**
 * The structured request log: one JSON line per classification request (console.log, which Workers
 * Logs and `wrangler tail` collect), failed ones included. Texts appear only with LOG_TEXT=true, and
 * then redacted as the model's hard-example records are (REDACTION).
 */
interface RequestLogInput {
  requestId: string;
  method: string;
  path: string;
  status: number;
  /** null when the request was refused before any text was answered. */
  summary: AnswerSummary | null;
  requestMs: number;
}

function requestLogLine(input: RequestLogInput, config: GatewayConfig): string {
  const { summary } = input;
  const line: Record<string, unknown> = {
    ts: new Date().toISOString(),
    request_id: input.requestId,
    method: input.method,
    path: input.path,
    status: input.status,
    model: summary?.model ?? null,
    version: summary?.version ?? null,
    sources: countSources(summary?.answers ?? []),
    ms: {
      request: input.requestMs,
      student: summary?.studentMs ?? null,
      teacher: summary?.teacherMs ?? null,
    },
  };
  if (summary && config.metrics.logText) {
    const mode = modeFor(config.redaction, summary.model);
    line.texts = summary.texts.map((text) => forLog(text, mode).text);
  }
  return JSON.stringify(line);
}

/**
 * Workers Analytics Engine: with an ANALYTICS binding (wrangler.toml [[analytics_engine_datasets]]),
 * one data point per answered text, so global figures can be queried with SQL across every isolate.
 *   blobs:   model, version, endpoint, source, reason ("" unless degraded)
 *   doubles: routing score (-1 for a model with no student), student ms, teacher ms (0 when the text
 *            did not go to the teacher), request ms, texts the point stands for (1; see below)
 *   indexes: [model] (the sampling key)
 * Analytics Engine takes at most 250 points per invocation: a larger batch (MAX_BATCH above 250) is
 * written as one point per (source, reason) with the mean score and the number of texts in double 5.
 * Writes are fire-and-forget; a failing write is logged and never fails the request.
 */
const MAX_POINTS = 250;
/** The score double of an answer from a model with no student (scores are otherwise in [0, 1]). */
const NO_SCORE = -1;

function point(summary: AnswerSummary, answer: TextAnswer, requestMs: number, texts = 1) {
  return {
    blobs: [summary.model, summary.version, summary.endpoint, answer.source, answer.reason ?? ""],
    doubles: [
      answer.score ?? NO_SCORE,
      summary.studentMs,
      // Every source but the confident student went to the teacher (answered, cached or failed).
      answer.source !== "student" ? (summary.teacherMs ?? 0) : 0,
      requestMs,
      texts,
    ],
    indexes: [summary.model],
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

function writeAnalytics(
  dataset: AnalyticsEngineDataset | undefined,
  summary: AnswerSummary,
  requestMs: number,
): void {
  if (!dataset) return;
  const points =
    summary.answers.length <= MAX_POINTS
      ? summary.answers.map((answer) => point(summary, answer, requestMs))
      : grouped(summary.answers).map((g) => point(summary, g.answer, requestMs, g.texts));
  try {
    for (const p of points) dataset.writeDataPoint(p);
  } catch (error) {
    console.error("analytics engine: data point not written:", error);
  }
}
