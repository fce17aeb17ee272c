import type { GatewayConfig } from "../config.ts";
import { forTeacher, type RedactionMode } from "../privacy/policy.ts";
import type { ModelDefinition } from "../registry/model-definition.ts";
import { guardSettings, teacherEndpoint } from "../teacher-client/client.ts";
import type { TeacherConfig } from "../teacher-client/config.ts";
import { guardFor, runGuarded } from "../teacher-client/guard.ts";
import { bodyText, transportError } from "../teacher-client/http.ts";
import { specConfig } from "../teacher-client/per-spec.ts";
import { type BudgetGate, TeacherError } from "../teacher-client/types.ts";

/**
 * Forwards a chat request the student was unsure of to the model's teacher when that teacher speaks
 * OpenAI chat completions: the client's own prompt and parameters, as it sent them. Of the teacher
 * client's protections it keeps the ones that do not change the answer: the same circuit breaker and
 * concurrency cap as the model's other teacher calls (one guard per teacher and model), the deadline
 * (TEACHER_TIMEOUT_MS) and retries of network errors and 5xx up to the answer's headers (a streamed body
 * then flows as the teacher sends it; a whole one is read under the deadline, at most
 * TEACHER_MAX_BODY_BYTES), and the model's teacher budget (one text per request). The answer cache does
 * not apply: the answer is the teacher's to the client's whole request, not to the text alone.
 */
export interface ChatTeacher {
  config: TeacherConfig;
  /** `{TEACHER_URL}/v1/chat/completions`. */
  url: string;
  /** The model id on the teacher's side. */
  model: string;
  /** Set when the teacher's secret is named but not set: every call fails as not_configured. */
  missing: string | null;
}

/** The model's teacher when it speaks OpenAI chat completions; null for any other protocol. */
export function chatTeacherOf(
  config: GatewayConfig,
  env: object,
  definition: ModelDefinition | null,
  teacherModel: string,
): ChatTeacher | null {
  const spec = definition?.teacher;
  const teacher = spec ? specConfig(config.teacher, spec, env) : config.teacher;
  if (teacher.TEACHER_PROTOCOL !== "openai" || !teacher.TEACHER_URL) return null;
  const missing =
    spec?.secret !== undefined && teacher.TEACHER_API_KEY === undefined
      ? `the teacher's secret ${spec.secret} is not set`
      : null;
  return { config: teacher, url: `${teacher.TEACHER_URL}/v1/chat/completions`, model: teacherModel, missing };
}

/**
 * The body the teacher is sent: the client's, byte for byte, unless the model field must name the
 * teacher's model (a client that named "apprentice/<model>" or another gateway name) or REDACTION is
 * "log+teacher" for the model (then every message's text is redacted, as every text the teacher sees is).
 */
export function teacherBody(
  raw: string,
  parsed: Record<string, unknown>,
  teacherModel: string,
  mode: RedactionMode,
): string {
  const renamed = parsed.model !== teacherModel;
  if (!renamed && mode !== "log+teacher") return raw;
  const body: Record<string, unknown> = { ...parsed, model: teacherModel };
  if (mode === "log+teacher" && Array.isArray(parsed.messages))
    body.messages = parsed.messages.map((message: unknown) => redactMessage(message, mode));
  return JSON.stringify(body);
}

function redactMessage(message: unknown, mode: RedactionMode): unknown {
  if (typeof message !== "object" || message === null) return message;
  const m = message as Record<string, unknown>;
  if (typeof m.content === "string") return { ...m, content: forTeacher(m.content, mode) };
  if (!Array.isArray(m.content)) return m;
  return {
    ...m,
    content: m.content.map((part: unknown) => {
      const p = part as Record<string, unknown>;
      return typeof p?.text === "string" ? { ...p, text: forTeacher(p.text, mode) } : part;
    }),
  };
}

/** The teacher's answer: its status and content type, and its body, whole or as it streams. */
export interface TeacherReply {
  status: number;
  contentType: string;
  body: string | ReadableStream<Uint8Array>;
}

/** One forwarded call; every failure (breaker, cap, budget, deadline, network, 5xx) is a TeacherError. */
export async function forwardChat(
  teacher: ChatTeacher,
  body: string,
  stream: boolean,
  budget: BudgetGate | null,
): Promise<TeacherReply> {
  if (teacher.missing) throw new TeacherError("not_configured", teacher.missing);
  const { config } = teacher;
  const guard = guardFor(teacherEndpoint("openai", config), teacher.model, guardSettings(config));
  const headers: Record<string, string> = { "content-type": "application/json" };
  if (config.TEACHER_API_KEY) headers.authorization = `Bearer ${config.TEACHER_API_KEY}`;
  const what = `POST ${teacher.url}`;
  const call = async (signal: AbortSignal): Promise<TeacherReply> => {
    let response: Response;
    try {
      response = await fetch(teacher.url, { method: "POST", headers, body, signal });
    } catch (error) {
      throw transportError(error, signal, what);
    }
    const contentType = response.headers.get("content-type") ?? "application/json";
    if (response.status >= 500) {
      void response.body?.cancel().catch(() => {});
      throw new TeacherError("http_5xx", `${what}: HTTP ${response.status}`, response.status);
    }
    if (stream && response.ok && response.body)
      return { status: response.status, contentType, body: response.body };
    const text = await bodyText(response, config.TEACHER_MAX_BODY_BYTES, signal, what);
    return { status: response.status, contentType, body: text };
  };
  const admit = budget
    ? async () => {
        const verdict = await budget.reserve(1);
        if (!verdict.granted)
          throw new TeacherError("budget", verdict.message, undefined, verdict.retryAfterS);
      }
    : undefined;
  return runGuarded(guard, call, admit);
}
