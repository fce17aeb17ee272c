import { combine, type TeacherSlot, teacherResult } from "../cascade/answer.ts";
import { type ClassifyOutcome, classifyTexts, teacherOnlyModel } from "../cascade/classify.ts";
import { effectiveThreshold, shouldAskTeacher } from "../cascade/decide.ts";
import type { ModelTeacher } from "../cascade/model-teacher.ts";
import { retryAfterSeconds } from "../cascade/teacher-only.ts";
import { type AppContext, clientOf, waitUntilOf } from "../context.ts";
import { ApiError } from "../errors.ts";
import { chargeTexts } from "../middleware/rate-limit/index.ts";
import { modeFor } from "../privacy/policy.ts";
import type { ClassifyResult } from "../schemas/classify.ts";
import { type TeacherAnswer, TeacherError } from "../teacher-client/types.ts";
import { settledCompletion } from "./completion.ts";
import { type ChatTeacher, chatTeacherOf, forwardChat, type TeacherReply, teacherBody } from "./forward.ts";
import type { ChatQuery } from "./request.ts";
import { labelFromCompletion, labelFromStream } from "./teacher-label.ts";

/**
 * POST /v1/chat/completions after parsing (docs/api.md "POST /v1/chat/completions"). The student decides
 * through the cascade (classifyTexts, the same threshold as /v1/classify). Confident: the gateway's own
 * completion (completion.ts). Unsure, with an OpenAI-chat teacher: the client's request goes to it and
 * its answer goes back as it sent it (forward.ts), its label read from the answer (teacher-label.ts) and
 * logged as a hard example; if the teacher fails the student answers, flagged. Unsure with a teacher of
 * another protocol: the cascade asks it as /v1/classify does, and the gateway answers with its label.
 */
export const SOURCE_HEADER = "x-apprentice-source";
export const DEGRADED_HEADER = "x-apprentice-degraded";
export const VERSION_HEADER = "x-apprentice-version";

export async function answerChat(c: AppContext, query: ChatQuery): Promise<Response> {
  const services = c.var.services;
  const { registry, config } = services;
  const definition = registry.definition(query.model);
  const teacher = services.teacherFor(query.model, definition);
  const forwardTo = chatTeacherOf(config, c.env ?? {}, definition, teacher.model);
  const hasStudent = registry.hasStudent(query.model);
  await chargeTexts(c, 1, !hasStudent);
  const asked = { ...waitUntilOf(c), ...clientOf(c), explain: false };
  if (!forwardTo) {
    // The teacher cannot take the client's request as it is: the cascade asks it the usual way.
    const outcome = await classifyTexts(services, query.model, [query.text], { ...asked, teacher: "auto" });
    c.var.onAnswered({ endpoint: "v1", ...outcome });
    return settled(c, query, outcome, outcome.results[0]!);
  }
  if (!hasStudent) return forward(c, query, forwardTo, teacher, null);
  // "never": the student's verdict alone; whether to ask the teacher is decided below, by the same rule.
  const outcome = await classifyTexts(services, query.model, [query.text], { ...asked, teacher: "never" });
  const verdict = outcome.verdicts![0]!;
  const asAuto: ClassifyOutcome = { ...outcome, mode: "auto" };
  if (!shouldAskTeacher("auto", verdict.score, effectiveThreshold(outcome.manifest!))) {
    c.var.onAnswered({ endpoint: "v1", ...asAuto });
    return settled(c, query, asAuto, outcome.results[0]!);
  }
  return forward(c, query, forwardTo, teacher, asAuto);
}

/** The gateway's own completion for a result of the cascade. */
function settled(
  c: AppContext,
  query: ChatQuery,
  outcome: ClassifyOutcome,
  result: ClassifyResult,
): Response {
  const { model } = outcome;
  const fromStudent = result.source === "student";
  const verdict = outcome.verdicts?.[0];
  const teacherProbs = outcome.slots[0]?.kind === "answer" ? outcome.slots[0].answer.probs : null;
  const { body, contentType } = settledCompletion(
    query,
    {
      labels: model.labels,
      label: result.label,
      probs: fromStudent && verdict ? verdict.probs : teacherProbs,
      confidence: result.confidence,
    },
    { id: `chatcmpl-${c.var.requestId}`, model: model.name, fingerprint: `${model.name}@${model.version}` },
  );
  const headers: Record<string, string> = {
    "content-type": contentType,
    [SOURCE_HEADER]: result.source,
    [VERSION_HEADER]: model.version,
  };
  if (result.degraded) headers[DEGRADED_HEADER] = result.reason ?? "unknown";
  return c.body(body, 200, headers);
}

const failed = (error: TeacherError): TeacherSlot => ({
  kind: "failed",
  reason: error.kind,
  ...(error.retryAfterS !== undefined ? { retryAfterS: error.retryAfterS } : {}),
});

/** Sends the request to the teacher; `outcome` is the student's, null for a model with no student. */
async function forward(
  c: AppContext,
  query: ChatQuery,
  to: ChatTeacher,
  teacher: ModelTeacher,
  outcome: ClassifyOutcome | null,
): Promise<Response> {
  const { config } = c.var.services;
  const mode = modeFor(config.redaction, query.model);
  const body = teacherBody(c.var.jsonText, c.var.jsonBody as Record<string, unknown>, to.model, mode);
  const started = performance.now();
  let reply: TeacherReply;
  try {
    reply = await forwardChat(to, body, query.stream, teacher.budgetFor?.(clientOf(c).client) ?? null);
  } catch (error) {
    const refused = error instanceof TeacherError ? error : new TeacherError("bad_response", String(error));
    if (!outcome) throw teacherUnavailable(refused, teacher);
    const slot = failed(refused);
    const result = combine(outcome.verdicts![0]!, slot);
    c.var.onAnswered({ endpoint: "v1", ...outcome, slots: [slot], results: [result] });
    return settled(c, query, outcome, result);
  }
  const base = outcome ?? noStudentOutcome(c, query, teacher);
  const log = (slot: TeacherSlot) => {
    const teacherMs = performance.now() - started;
    const result = answerWith(base, slot);
    // A model with no student and no label from its teacher: nothing to answer or learn.
    if (!result) return console.warn(`chat: the teacher's answer for ${query.model} held no label`);
    c.var.onAnswered({
      endpoint: "v1",
      ...base,
      slots: [slot],
      results: [result],
      timings: { ...base.timings, teacherMs },
    });
  };
  const latencyMs = () => Math.round(performance.now() - started);
  const labels = base.model.labels;
  const headers: Record<string, string> = {
    "content-type": reply.contentType,
    [SOURCE_HEADER]: "teacher",
    [VERSION_HEADER]: base.model.version,
  };
  if (typeof reply.body === "string") {
    log(slotOf(reply.status, () => labelFromCompletion(reply.body as string, labels), latencyMs));
    return new Response(reply.body, { status: reply.status, headers });
  }
  // Streamed: the client reads one branch as it comes; the other is read for the label, then logged.
  const [toClient, toLabel] = reply.body.tee();
  const labelled = labelFromStream(toLabel, labels, to.config.TEACHER_MAX_BODY_BYTES).then(
    (answer): TeacherSlot => ({ kind: "answer", answer, cached: false, latencyMs: latencyMs() }),
    (error: unknown) =>
      failed(error instanceof TeacherError ? error : new TeacherError("bad_response", String(error))),
  );
  const logged = labelled.then(log).catch((error: unknown) => console.error("chat: not logged:", error));
  waitUntilOf(c).waitUntil?.(logged);
  return new Response(toClient, { status: reply.status, headers });
}

/** What a whole answer gave: its label, or why there is none (a 4xx is the teacher refusing the request). */
function slotOf(status: number, read: () => TeacherAnswer, latencyMs: () => number): TeacherSlot {
  if (status >= 400) return { kind: "failed", reason: "http_4xx" };
  try {
    return { kind: "answer", answer: read(), cached: false, latencyMs: latencyMs() };
  } catch (error) {
    return failed(error instanceof TeacherError ? error : new TeacherError("bad_response", String(error)));
  }
}

/** The result a slot gives: the teacher's label, else the student's, degraded; null with neither. */
function answerWith(outcome: ClassifyOutcome, slot: TeacherSlot): ClassifyResult | null {
  const verdict = outcome.verdicts?.[0];
  if (verdict) return combine(verdict, slot);
  return slot.kind === "answer" ? teacherResult(slot, null) : null;
}

function noStudentOutcome(c: AppContext, query: ChatQuery, teacher: ModelTeacher): ClassifyOutcome {
  return {
    model: teacherOnlyModel(c.var.services.registry, query.model),
    manifest: null,
    texts: [query.text],
    mode: "auto",
    verdicts: null,
    slots: [],
    results: [],
    teacher,
    timings: { studentMs: 0, teacherMs: null },
  };
}

/** A model with no student whose teacher failed: nothing else can answer (as /v1/classify). */
function teacherUnavailable(error: TeacherError, teacher: ModelTeacher): ApiError {
  const retryAfter = retryAfterSeconds(error.kind, teacher.breakerCooldownMs, error.retryAfterS);
  return new ApiError(
    503,
    "teacher_unavailable",
    `the model has no student yet and its teacher (openai ${teacher.model}) failed: ${error.kind}`,
    { "retry-after": String(retryAfter) },
  );
}
