import type { MiddlewareHandler } from "hono";
import type { ClassifyOutcome } from "../cascade/classify.ts";
import { type AppContext, type AppEnv, waitUntilOf } from "../context.ts";
import { writeAnalytics } from "./analytics.ts";
import { now } from "./clock.ts";
import { type AnsweredBatch, answeredBatch, type Endpoint } from "./events.ts";
import { GatewayMetrics } from "./gateway-metrics.ts";
import { requestLogLine } from "./request-log.ts";
import { UsageFlusher } from "./usage-flush.ts";

/**
 * Per-request telemetry of the classification routes. The middleware times the whole request; the route
 * reports what it answered (reportAnswers); after the handler, the middleware feeds the isolate's
 * Prometheus metrics, Analytics Engine, the D1 usage counts and the JSON request log. None of it can fail
 * or delay the answer: errors are logged, and the slow part (the usage flush) runs in ctx.waitUntil.
 */
export const INFERENCE_PATHS = [
  "/v1/classify",
  "/v2/models/:name/infer",
  "/v2/models/:name/versions/:version/infer",
];

/** What one isolate (one app) accumulates: its metrics and its not yet flushed usage counts. */
export class IsolateTelemetry {
  readonly metrics = new GatewayMetrics();
  readonly usage = new UsageFlusher();
}

/** Set by a classification route once every text is answered; absent when the request was refused. */
export type TelemetryVariables = { answered?: AnsweredBatch };

/** Called by a classification route once every text is answered. */
export function reportAnswers(
  c: AppContext,
  endpoint: Endpoint,
  texts: readonly string[],
  outcome: ClassifyOutcome,
): void {
  c.set("answered", answeredBatch(endpoint, texts, outcome));
}

export function telemetry(state: IsolateTelemetry): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const started = now();
    await next();
    observe(c, state, c.var.answered ?? null, now() - started);
  };
}

function observe(c: AppContext, state: IsolateTelemetry, batch: AnsweredBatch | null, requestMs: number) {
  try {
    const { config } = c.var.services;
    if (batch) {
      state.metrics.record(batch, requestMs);
      writeAnalytics(c.env?.ANALYTICS, batch, requestMs);
      const queue = c.env?.HARD_EXAMPLES;
      if (queue)
        state.usage.record(batch, { queue, flushMs: config.metrics.usageFlushMs, ...waitUntilOf(c) });
    }
    if (config.metrics.logRequests) {
      const { method, path } = c.req;
      const line = { requestId: c.var.requestId, method, path, status: c.res.status, batch, requestMs };
      console.log(requestLogLine(line, config));
    }
  } catch (error) {
    console.error("telemetry: not recorded:", error);
  }
}
