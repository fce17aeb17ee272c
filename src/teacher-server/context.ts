import type { z } from "zod";
import { isBlank } from "../core/text.ts";
import type { Chaos } from "./chaos.ts";
import { HttpError } from "./http.ts";
import type { TeacherModel } from "./model.ts";

/** What the protocol handlers share: the served models, the chaos knobs and the request limits. */
export interface TeacherContext {
  models: ReadonlyMap<string, TeacherModel>;
  chaos: Chaos;
  /** Most texts one inference request may carry. */
  maxBatch: number;
  /** False once shutdown has begun, so readiness probes stop routing traffic here. */
  isReady(): boolean;
}

/** Validates a request body with zod; the first issue becomes a 400 naming the offending field. */
export function parseRequest<T>(schema: z.ZodType<T>, body: unknown): T {
  const parsed = schema.safeParse(body);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0]!;
  const param = issue.path.length > 0 ? issue.path.map(String).join(".") : null;
  throw new HttpError(400, param ? `${param}: ${issue.message}` : issue.message, "invalid_request", param);
}

/**
 * A text the model can answer: core's rule (not blank), in the teacher's words. No length cap: the body
 * cap bounds it, and a teacher takes whatever the gateway accepted.
 */
export function checkText(text: string, param: string): string {
  if (isBlank(text)) throw new HttpError(400, `${param}: text is empty`, "empty_text", param);
  return text;
}
