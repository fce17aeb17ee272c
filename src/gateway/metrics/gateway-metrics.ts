import { ANSWER_SOURCES, type AnswerSummary, countSources } from "../answered.ts";
import type { BreakerState } from "../teacher-client/types.ts";
import { Counter, Histogram, type MetricFamily } from "./prometheus.ts";
import { SCORE_BINS } from "./usage.ts";

/**
 * The gateway's Prometheus metrics, per model and version, as one isolate saw them. Every HELP says so:
 * Cloudflare runs a Worker in many isolates and a scrape reaches one of them.
 */
export const ISOLATE_NOTE =
  "Figures of this isolate only, since it started: Workers run many isolates, so for global figures use GET /admin/stats or Analytics Engine.";
const COARSE_CLOCK =
  "workerd's clock is coarse (1 ms locally; in production it advances only on I/O), so short times read as 0.";

const help = (text: string) => `${text} ${ISOLATE_NOTE}`;
const ms = (value: number) => value / 1000;

// Seconds, as Prometheus prefers base units.
const STUDENT_BUCKETS = [0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1];
const TEACHER_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
const REQUEST_BUCKETS = [0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
// The bins of the D1 usage histogram (migrations/0002_usage.sql), as upper bounds.
const SCORE_BUCKETS = Array.from({ length: SCORE_BINS }, (_, i) => (i + 1) / SCORE_BINS);

/** A model's teacher breaker, read at scrape time. */
export interface BreakerReading {
  model: string;
  teacherModel: string;
  state: BreakerState;
}
const BREAKER_VALUE: Record<BreakerState, number> = { closed: 0, half_open: 1, open: 2 };

export class GatewayMetrics {
  readonly requests = new Counter(
    "apprentice_requests_total",
    help(
      "Classification requests answered (endpoint v1: POST /v1/classify, v2: POST /v2/models/{name}/infer).",
    ),
    ["model", "version", "endpoint"],
  );
  readonly answers = new Counter(
    "apprentice_answers_total",
    help(
      "Answers, one per text, by source: student (confident), teacher, cache (the teacher's cached answer), degraded (the student because the teacher failed).",
    ),
    ["model", "version", "endpoint", "source"],
  );
  readonly teacherFailures = new Counter(
    "apprentice_teacher_failures_total",
    help("Texts the teacher failed to answer, by failure kind; each became a degraded student answer."),
    ["model", "version", "kind"],
  );
  readonly moneySaved = new Counter(
    "apprentice_money_saved_usd_total",
    help(
      "Estimated US dollars saved: the model's teacher price per call (its definition's, else TEACHER_PRICE_PER_CALL) times the answers the student gave without the teacher (source student, degraded ones excluded).",
    ),
    ["model", "version"],
  );
  readonly recordsDropped = new Counter(
    "apprentice_hard_examples_dropped_total",
    help(
      "Hard-example records not logged because the model reached HARD_EXAMPLES_PER_HOUR in this isolate (every record admitted under the cap is stored).",
    ),
    ["model"],
  );
  readonly studentSeconds = new Histogram(
    "apprentice_student_inference_seconds",
    help(`Student inference time of one request's batch (one session run). ${COARSE_CLOCK}`),
    ["model", "version"],
    STUDENT_BUCKETS,
  );
  readonly teacherSeconds = new Histogram(
    "apprentice_teacher_call_seconds",
    help(
      `Teacher call time for one request's escalated texts (answer cache, retries and deadline included). ${COARSE_CLOCK}`,
    ),
    ["model", "version"],
    TEACHER_BUCKETS,
  );
  readonly requestSeconds = new Histogram(
    "apprentice_request_duration_seconds",
    help(`Whole request time inside the Worker, for answered classification requests. ${COARSE_CLOCK}`),
    ["model", "version", "endpoint"],
    REQUEST_BUCKETS,
  );
  readonly scores = new Histogram(
    "apprentice_routing_score",
    help(
      "The student's routing score per text, in [0, 1], of the model's score kind (max_prob, margin, entropy or learned); texts scoring below the routing threshold go to the teacher.",
    ),
    ["model", "version", "score"],
    SCORE_BUCKETS,
  );

  record(batch: AnswerSummary, requestMs: number): void {
    const { model, version, endpoint } = batch;
    this.requests.inc([model, version, endpoint]);
    this.requestSeconds.observe([model, version, endpoint], ms(requestMs));
    this.studentSeconds.observe([model, version], ms(batch.studentMs));
    if (batch.teacherMs !== null) this.teacherSeconds.observe([model, version], ms(batch.teacherMs));
    // Per source and per series, not per text: a batch may hold thousands of texts (MAX_BATCH).
    const sources = countSources(batch.answers);
    for (const source of ANSWER_SOURCES)
      if (sources[source] > 0) this.answers.inc([model, version, endpoint, source], sources[source]);
    // A model with no student yet has no scores.
    if (batch.scoreKind !== null)
      this.scores.observeAll(
        [model, version, batch.scoreKind],
        batch.answers.flatMap((a) => (a.score === null ? [] : [a.score])),
      );
    if (sources.degraded > 0)
      for (const answer of batch.answers)
        if (answer.source === "degraded")
          this.teacherFailures.inc([model, version, answer.reason ?? "unknown"]);
    this.moneySaved.inc([model, version], sources.student * batch.pricePerCall);
  }

  families(breakers: readonly BreakerReading[]): MetricFamily[] {
    const breakerFamily: MetricFamily = {
      name: "apprentice_teacher_breaker_state",
      help: help("Circuit breaker of each model's teacher: 0 closed, 1 half-open (probing), 2 open."),
      type: "gauge",
      samples: breakers.map((b) => ({
        suffix: "",
        labels: [
          ["model", b.model],
          ["teacher_model", b.teacherModel],
        ],
        value: BREAKER_VALUE[b.state],
      })),
    };
    return [
      this.requests.family(),
      this.answers.family(),
      this.teacherFailures.family(),
      this.moneySaved.family(),
      this.recordsDropped.family(),
      breakerFamily,
      this.studentSeconds.family(),
      this.teacherSeconds.family(),
      this.requestSeconds.family(),
      this.scores.family(),
    ];
  }
}
