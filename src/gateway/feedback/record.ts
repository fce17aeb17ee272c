import { sha256Hex } from "../../core/digest.ts";
import { FEEDBACK_KIND, FeedbackRecord } from "../../core/feedback.ts";
import { servedModel, teacherOnlyModel } from "../cascade/classify.ts";
import type { Services } from "../context.ts";
import { ApiError, badRequest } from "../errors.ts";
import { hardExampleId } from "../hard-example-log/record.ts";
import { forLog, modeFor } from "../privacy/policy.ts";
import type { FeedbackRequest } from "./schema.ts";
import { readTrail } from "./trail.ts";
import { batchPlace } from "./trail-batch.ts";
import type { TrailAnswer, TrailEntry } from "./trail-entry.ts";

/**
 * Turns a feedback request into its record: finds the answer it names (answer trail, trail.ts) or takes
 * the text it carries, redacts the text as the hard-example log would, checks the label against the
 * model's, and derives the ids. Every refusal is a 4xx that says what to send instead.
 */
export interface FeedbackScope {
  services: Services;
  trail: KVNamespace | undefined;
  /** The API key id, when the request presented one: the trail is per client. */
  client: string | undefined;
  now: Date;
}

/** What the answer named by request id contributes: text, model, version and who said what. */
interface Answered {
  model: string;
  version: string | null;
  index: number | null;
  answer: Pick<TrailAnswer, "text" | "redactions"> & Partial<TrailAnswer>;
  /** The shadow's label of the same text, when the trail kept one. */
  shadow?: { version: string; label: string };
}

export async function feedbackRecord(input: FeedbackRequest, scope: FeedbackScope): Promise<FeedbackRecord> {
  const answered = (await byRequest(input, scope)) ?? byText(input, scope.services);
  const { registry } = scope.services;
  registry.require(answered.model);
  const labels = registry.labels(answered.model);
  if (!labels.includes(input.label))
    throw new ApiError(
      400,
      "unknown_label",
      `unknown label "${input.label}" for model "${answered.model}" (labels: ${labels.join(", ")})`,
    );
  const served = registry.hasStudent(answered.model)
    ? servedModel(registry.manifest(answered.model))
    : teacherOnlyModel(registry, answered.model);
  const exampleId = await hardExampleId(served, answered.answer.text);
  // One record per answered text, or per text when no answer is named: a repeat replaces it.
  const key =
    input.request_id !== undefined
      ? `request\n${input.request_id}\n${answered.index ?? 0}`
      : `example\n${exampleId}`;
  return FeedbackRecord.parse({
    kind: FEEDBACK_KIND,
    id: await sha256Hex(`${answered.model}\n${key}`),
    example_id: exampleId,
    ts: scope.now.toISOString(),
    model: answered.model,
    version: answered.version,
    text: answered.answer.text,
    redactions: answered.answer.redactions,
    label: input.label,
    request_id: input.request_id ?? null,
    index: answered.index,
    source: answered.answer.source ?? null,
    student_label: answered.answer.student_label ?? null,
    teacher_label: answered.answer.teacher_label ?? null,
    shadow: answered.shadow ?? null,
  });
}

/** The answer named by request_id, or null when none is given, or none is kept and the text is given. */
async function byRequest(input: FeedbackRequest, scope: FeedbackScope): Promise<Answered | null> {
  if (input.request_id === undefined) return null;
  const { answerTrail } = scope.services;
  const entry = scope.trail
    ? await readTrail(scope.trail, scope.client, input.request_id, answerTrail)
    : null;
  if (entry === null) {
    if (input.text !== undefined) return null;
    const { windowS, batchMs } = scope.services.config.feedback;
    // A batched id may only be waiting for its batch's write (another isolate answered it): say so.
    const pending =
      batchMs > 0 && batchPlace(input.request_id)
        ? `; the gateway's own ids can be named from anywhere ${batchMs} ms after the answer (FEEDBACK_BATCH_MS)`
        : "";
    const kept =
      scope.trail && windowS > 0
        ? `answers are kept for FEEDBACK_WINDOW_S = ${windowS} s${pending}`
        : "this gateway keeps no answers (ANSWER_TRAIL unbound or FEEDBACK_WINDOW_S = 0)";
    throw new ApiError(
      404,
      "answer_not_found",
      `no answer with request id "${input.request_id}" is kept for this client (${kept}): send "text" with the label`,
    );
  }
  if (input.model !== undefined && input.model !== entry.model)
    throw badRequest(
      `request "${input.request_id}" was answered by model "${entry.model}", not "${input.model}"`,
    );
  const index = indexIn(entry, input);
  const answered: Answered = {
    model: entry.model,
    version: entry.version,
    index,
    answer: entry.answers[index]!,
  };
  if (entry.shadow) answered.shadow = { version: entry.shadow.version, label: entry.shadow.labels[index]! };
  return answered;
}

function indexIn(entry: TrailEntry, input: FeedbackRequest): number {
  const n = entry.answers.length;
  if (input.index === undefined) {
    if (n > 1)
      throw badRequest(`request "${input.request_id}" answered ${n} texts: give "index" (0 to ${n - 1})`);
    return 0;
  }
  if (input.index >= n)
    throw badRequest(`index: request "${input.request_id}" answered ${n} text(s): give 0 to ${n - 1}`);
  return input.index;
}

function byText(input: FeedbackRequest, services: Services): Answered {
  const { config } = services;
  const model = input.model ?? config.defaultModel;
  // The schema's refine guarantees a text here; the check keeps the types honest.
  if (input.text === undefined)
    throw badRequest('give "request_id" (the x-request-id of an answer) or "text"');
  const max = config.limits.maxTextChars;
  if (input.text.length > max) throw badRequest(`text: at most ${max} characters`);
  const logged = forLog(input.text, modeFor(config.redaction, model));
  return { model, version: null, index: null, answer: logged };
}
