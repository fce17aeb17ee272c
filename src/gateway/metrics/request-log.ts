import type { GatewayConfig } from "../config.ts";
import { forLog, modeFor } from "../privacy/policy.ts";
import { type AnsweredBatch, countSources } from "./events.ts";

/**
 * The structured request log: one JSON line per classification request (console.log, which Workers
 * Logs and `wrangler tail` collect), failed ones included. Texts appear only with LOG_TEXT=true, and
 * then redacted as the model's hard-example records are (REDACTION).
 */
export interface RequestLogInput {
  requestId: string;
  method: string;
  path: string;
  status: number;
  /** null when the request was refused before any text was answered. */
  batch: AnsweredBatch | null;
  requestMs: number;
}

export function requestLogLine(input: RequestLogInput, config: GatewayConfig): string {
  const { batch } = input;
  const line: Record<string, unknown> = {
    ts: new Date().toISOString(),
    request_id: input.requestId,
    method: input.method,
    path: input.path,
    status: input.status,
    model: batch?.model ?? null,
    version: batch?.version ?? null,
    sources: countSources(batch?.answers ?? []),
    ms: { request: input.requestMs, student: batch?.studentMs ?? null, teacher: batch?.teacherMs ?? null },
  };
  if (batch && config.metrics.logText) {
    const mode = modeFor(config.hardLog.redaction, batch.model);
    line.texts = batch.texts.map((text) => forLog(text, mode).text);
  }
  return JSON.stringify(line);
}
