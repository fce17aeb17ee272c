import { z } from "zod";
import { ClassifyAnswer } from "../../src/distill/gateway-client/schemas.ts";

/** What became of one soak request, as the client saw it. */
export type Outcome =
  | {
      kind: "answer";
      status: number;
      latencyMs: number;
      /** The text went to the teacher (answer, cache) or failed there (degraded): the gateway logs it. */
      escalated: boolean;
      degraded: boolean;
      source: "student" | "teacher" | "cache";
      /** The request asked for the teacher (options.teacher "always"). */
      asked: boolean;
      teacherUp: boolean;
      text: string;
    }
  | { kind: "http_error"; status: number; latencyMs: number; body: string; teacherUp: boolean }
  | { kind: "network"; message: string; teacherUp: boolean };

/** Reads a /v1/classify answer of one text into an outcome (a 2xx whose body breaks the contract is an error). */
export function outcomeOf(
  status: number,
  body: string,
  context: { latencyMs: number; asked: boolean; teacherUp: boolean; text: string },
): Outcome {
  const { latencyMs, asked, teacherUp, text } = context;
  if (status < 200 || status >= 300)
    return { kind: "http_error", status, latencyMs, body: body.slice(0, 300), teacherUp };
  let parsed: ReturnType<typeof ClassifyAnswer.safeParse>;
  try {
    parsed = ClassifyAnswer.safeParse(JSON.parse(body));
  } catch {
    return { kind: "http_error", status, latencyMs, body: `not JSON: ${body.slice(0, 200)}`, teacherUp };
  }
  const result = parsed.success && parsed.data.results.length === 1 ? parsed.data.results[0] : undefined;
  if (!result)
    return { kind: "http_error", status, latencyMs, body: `off contract: ${body.slice(0, 200)}`, teacherUp };
  const degraded = result.degraded === true;
  return {
    kind: "answer",
    status,
    latencyMs,
    escalated: result.source !== "student" || degraded,
    degraded,
    source: result.source,
    asked,
    teacherUp,
    text,
  };
}

/** Nearest-rank percentile (p in [0, 100]) of unsorted values; null for none. */
export function percentile(values: readonly number[], p: number): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))]!;
}

const Latency = z.object({
  p50: z.number().nullable(),
  p99: z.number().nullable(),
  max: z.number().nullable(),
});
type Latency = z.infer<typeof Latency>;

function latency(values: readonly number[]): Latency {
  return {
    p50: percentile(values, 50),
    p99: percentile(values, 99),
    max: values.length > 0 ? Math.max(...values) : null,
  };
}

export const Tally = z.object({
  requests: z.number().int(),
  ok2xx: z.number().int(),
  non2xx: z.number().int(),
  networkErrors: z.number().int(),
  /** Answers whose text was logged: source teacher or cache, or degraded. */
  escalations: z.number().int(),
  bySource: z.object({ teacher: z.number().int(), cache: z.number().int(), degraded: z.number().int() }),
  degraded: z.number().int(),
  /** Requests sent while the teacher was down, and how many of those asked for it. */
  sentWhileTeacherDown: z.number().int(),
  askedWhileTeacherDown: z.number().int(),
  /** Escalations the request did not ask for (teacher "never" must never reach the teacher). */
  unaskedEscalations: z.number().int(),
  latencyMs: Latency,
  /** The same split by what the request asked for: the student alone ("never") or the teacher ("always"). */
  latencyByAsk: z.object({ student: Latency, teacher: Latency }),
  /** Up to 10 failed requests, for the report. */
  failures: z.array(z.string()),
});
export type Tally = z.infer<typeof Tally>;

export function tally(outcomes: readonly Outcome[]): Tally {
  const answers = outcomes.filter((o) => o.kind === "answer");
  const escalated = answers.filter((o) => o.escalated);
  const latencies = outcomes.flatMap((o) => (o.kind === "network" ? [] : [o.latencyMs]));
  const failures = outcomes.flatMap((o) =>
    o.kind === "http_error" ? [`HTTP ${o.status}: ${o.body}`] : o.kind === "network" ? [o.message] : [],
  );
  return {
    requests: outcomes.length,
    ok2xx: answers.length,
    non2xx: outcomes.filter((o) => o.kind === "http_error").length,
    networkErrors: outcomes.filter((o) => o.kind === "network").length,
    escalations: escalated.length,
    bySource: {
      teacher: escalated.filter((o) => !o.degraded && o.source === "teacher").length,
      cache: escalated.filter((o) => !o.degraded && o.source === "cache").length,
      degraded: escalated.filter((o) => o.degraded).length,
    },
    degraded: answers.filter((o) => o.degraded).length,
    sentWhileTeacherDown: outcomes.filter((o) => !o.teacherUp).length,
    askedWhileTeacherDown: answers.filter((o) => !o.teacherUp && o.asked).length,
    unaskedEscalations: escalated.filter((o) => !o.asked).length,
    latencyMs: latency(latencies),
    latencyByAsk: {
      student: latency(answers.filter((o) => !o.asked).map((o) => o.latencyMs)),
      teacher: latency(answers.filter((o) => o.asked).map((o) => o.latencyMs)),
    },
    failures: failures.slice(0, 10),
  };
}
