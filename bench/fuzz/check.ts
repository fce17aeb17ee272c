import { ErrorResponse, V2ErrorResponse } from "../../src/gateway/schemas/error.ts";

/**
 * What the fuzz holds every answer to: never a 5xx; every non-2xx is `application/json` with exactly the
 * error body `{"error": {"code", "message"}}`, under /v2 the protocol's `{"error": "<message>"}` (a HEAD
 * answer has no body, so only its type is checked);
 * every answer carries x-request-id; and the gateway answers at all (a dropped connection is a failure).
 */
export interface Observed {
  method: string;
  /** The request's path (with any query): /v2 errors have the protocol's body. */
  path: string;
  /** null when no answer arrived. */
  status: number | null;
  contentType: string | null;
  requestId: string | null;
  body: string;
  /** The network error, when no answer arrived. */
  error?: string;
}

/** The kinds of problem, worst first; problemsOf lists an answer's problems in this order. */
export const SEVERITY = [
  "no_answer",
  "server_error",
  "error_not_json",
  "error_body",
  "no_request_id",
] as const;
export type ProblemKind = (typeof SEVERITY)[number];

export interface Problem {
  kind: ProblemKind;
  detail: string;
}

const JSON_TYPE = /^application\/json\s*(;|$)/i;

export function problemsOf(o: Observed): Problem[] {
  if (o.status === null) return [{ kind: "no_answer", detail: o.error ?? "no answer" }];
  const problems: Problem[] = [];
  const snippet = o.body.slice(0, 300);
  if (o.status >= 500) problems.push({ kind: "server_error", detail: `HTTP ${o.status}: ${snippet}` });
  if (o.status < 200 || o.status >= 300) {
    if (!JSON_TYPE.test(o.contentType ?? ""))
      problems.push({
        kind: "error_not_json",
        detail: `HTTP ${o.status} with content-type ${o.contentType ?? "(none)"}: ${snippet}`,
      });
    if (o.method !== "HEAD" && !isErrorBody(o.body, o.path))
      problems.push({
        kind: "error_body",
        detail: `HTTP ${o.status} body is not the error body of ${o.path}: ${snippet}`,
      });
  }
  if (!o.requestId) problems.push({ kind: "no_request_id", detail: `HTTP ${o.status} without x-request-id` });
  return problems;
}

const V2_PATH = /^\/v2([/?]|$)/;

function isErrorBody(body: string, path: string): boolean {
  try {
    return (V2_PATH.test(path) ? V2ErrorResponse : ErrorResponse).safeParse(JSON.parse(body)).success;
  } catch {
    return false;
  }
}

/** Answers counted by endpoint and status ("network" when none arrived). */
export type Counts = Record<string, Record<string, number>>;

export function count(counts: Counts, endpoint: string, status: number | null): void {
  const row = counts[endpoint] ?? {};
  counts[endpoint] = row;
  const key = status === null ? "network" : String(status);
  row[key] = (row[key] ?? 0) + 1;
}

/** The per-status totals over every endpoint. */
export function totals(counts: Counts): Record<string, number> {
  const out: Record<string, number> = {};
  for (const row of Object.values(counts))
    for (const [status, n] of Object.entries(row)) out[status] = (out[status] ?? 0) + n;
  return out;
}
