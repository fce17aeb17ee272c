import type { ContentfulStatusCode } from "hono/utils/http-status";
import type { z } from "zod";

/**
 * Every error the gateway answers with (docs/api.md "Errors": `{"error": {"code", "message"}}`, or under
 * /v2 `{"error": "<message>"}` with the code in x-error-code, or on POST /v1/chat/completions OpenAI's
 * `{"error": {"message", "type", "param", "code"}}`; never HTML or a stack). Handlers throw ApiError; the json-errors middleware renders it, and turns anything else
 * into a generic 500 whose details only reach the log.
 *
 * ERROR_CODES is the one list of codes a client can receive: ApiError accepts nothing else, and
 * test/node/error-codes.test.ts checks that docs/api.md documents exactly these, with the statuses the
 * code sends them with.
 */
export const ERROR_CODES = [
  "invalid_json",
  "invalid_request",
  "not_found",
  "method_not_allowed",
  "model_not_found",
  "payload_too_large",
  "unsupported_media_type",
  "config_invalid",
  "model_unavailable",
  "internal",
  // A model with no student yet: its teacher failed (503 with Retry-After), or a request needs a student.
  "teacher_unavailable",
  "no_student",
  // The admin side (src/gateway/admin, middleware/admin-auth).
  "unauthorized",
  "forbidden",
  "admin_disabled",
  "not_configured",
  "invalid_model",
  "version_exists",
  "version_not_found",
  // Client access (middleware/api-key, middleware/rate-limit, admin/keys).
  "rate_limited",
  "key_not_found",
  // Feedback (routes/feedback.ts): a label outside the model's set; a request id whose answer is not kept.
  "unknown_label",
  "answer_not_found",
  // POST /v1/chat/completions (src/gateway/chat): a parameter or value the gateway cannot honour.
  "unsupported_parameter",
  // Leases (admin/leases): another owner holds the model's lease.
  "lease_held",
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

/** Where a /v2 error, whose body is the protocol's `{"error": "<message>"}`, carries its code. */
export const ERROR_CODE_HEADER = "x-error-code";

export interface ErrorBody {
  error: { code: ErrorCode; message: string };
}

export class ApiError extends Error {
  constructor(
    readonly status: ContentfulStatusCode,
    readonly code: ErrorCode,
    message: string,
    /** Extra response headers, e.g. Retry-After on a 503. */
    readonly headers: Readonly<Record<string, string>> = {},
    /** The request field at fault, for errors in OpenAI's shape (its `param`); null when none is. */
    readonly param: string | null = null,
  ) {
    super(message);
    this.name = "ApiError";
  }

  toBody(): ErrorBody {
    return { error: { code: this.code, message: this.message } };
  }
}

export const badRequest = (message: string): ApiError => new ApiError(400, "invalid_request", message);

/** `value` as `schema` reads it, or a 400 invalid_request saying what is wrong (after `what`, if given). */
export function parseRequest<S extends z.ZodType>(schema: S, value: unknown, what?: string): z.output<S> {
  const parsed = schema.safeParse(value);
  if (!parsed.success) {
    const issues = describeIssues(parsed.error);
    throw badRequest(what === undefined ? issues : `${what}: ${issues}`);
  }
  return parsed.data;
}

/** A zod error as one line a client can act on: "texts.3: Too big: expected string to have <=4000 characters". */
export function describeIssues(error: z.ZodError, maxIssues = 3): string {
  const parts = error.issues.slice(0, maxIssues).map((issue) => {
    const path = issue.path.map(String).join(".");
    return path ? `${path}: ${issue.message}` : issue.message;
  });
  const more = error.issues.length - maxIssues;
  return more > 0 ? `${parts.join("; ")}; and ${more} more` : parts.join("; ");
}
