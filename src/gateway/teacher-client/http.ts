import type { z } from "zod";
import { BodyError, readBody } from "../../core/body.ts";
import { TeacherError } from "./types.ts";

/**
 * The fetch side shared by the HTTP adapters: every way a call can go wrong becomes a TeacherError with
 * the kind the client's retry and breaker decide on. Nothing here retries; the client does.
 */
const SNIPPET = 200;

/** An abort of our own signal is the deadline (or a sibling's failure); anything else is the network. */
export function transportError(error: unknown, signal: AbortSignal, what: string): TeacherError {
  if (signal.aborted) return new TeacherError("timeout", `${what}: aborted at the deadline`);
  const message = error instanceof Error ? error.message : String(error);
  return new TeacherError("network", `${what}: ${message}`);
}

/** How an adapter talks HTTP to its teacher. */
export interface HttpOptions {
  apiKey?: string | undefined;
  /** The largest answer body read, in bytes (TEACHER_MAX_BODY_BYTES); past it the call fails. */
  maxBodyBytes: number;
}

export interface JsonRequest extends HttpOptions {
  method?: "GET" | "POST";
  body?: unknown;
  signal: AbortSignal;
}

// An error answer is read only for the message it carries.
const ERROR_BODY_BYTES = 16 * 1024;

/**
 * The answer's body as text, at most `maxBytes` of it: an endless or oversized answer fails as soon as it
 * passes the cap, and the read is cancelled at the deadline (the signal), not only the wait for headers.
 */
export async function bodyText(response: Response, maxBytes: number, signal: AbortSignal, what: string) {
  const tooLarge = () =>
    new TeacherError("bad_response", `${what}: the answer is larger than ${maxBytes} bytes`);
  const declared = Number(response.headers.get("content-length"));
  if (Number.isFinite(declared) && declared > maxBytes) {
    void response.body?.cancel().catch(() => {});
    throw tooLarge();
  }
  try {
    // fetch has already undone any Content-Encoding of the answer: the cap counts decoded bytes.
    return new TextDecoder().decode(await readBody(response.body, null, maxBytes, signal));
  } catch (error) {
    if (error instanceof BodyError) throw tooLarge();
    // The status line arrived but the body did not: the connection broke mid-answer, or the deadline.
    throw transportError(error, signal, `${what} (reading the body)`);
  }
}

/** Sends one request and returns its JSON body; a non-2xx status, a cut body or bad JSON throws. */
export async function fetchJson(url: string, request: JsonRequest): Promise<unknown> {
  const { method = "POST", body, apiKey, signal, maxBodyBytes } = request;
  const headers: Record<string, string> = { accept: "application/json" };
  if (body !== undefined) headers["content-type"] = "application/json";
  if (apiKey) headers.authorization = `Bearer ${apiKey}`;
  const what = `${method} ${url}`;

  let response: Response;
  try {
    response = await fetch(url, {
      method,
      headers,
      signal,
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
  } catch (error) {
    throw transportError(error, signal, what);
  }

  if (!response.ok) {
    const kind = response.status >= 500 ? "http_5xx" : "http_4xx";
    const detail = await bodyText(response, ERROR_BODY_BYTES, signal, what).catch(() => "");
    const message = `${what}: HTTP ${response.status} ${detail.slice(0, SNIPPET)}`.trim();
    throw new TeacherError(kind, message, response.status);
  }
  const text = await bodyText(response, maxBodyBytes, signal, what);
  try {
    return JSON.parse(text);
  } catch {
    throw new TeacherError("bad_response", `${what}: body is not JSON: ${text.slice(0, SNIPPET)}`);
  }
}

/** Parses a teacher's answer with zod; a mismatch is a `bad_response`, never an exception of zod's. */
export function parseAnswer<T extends z.ZodType>(schema: T, data: unknown, what: string): z.output<T> {
  const result = schema.safeParse(data);
  if (result.success) return result.data;
  const issues = result.error.issues
    .slice(0, 3)
    .map((issue) => `${issue.path.join(".") || "(root)"}: ${issue.message}`)
    .join("; ");
  throw new TeacherError("bad_response", `${what}: unexpected answer (${issues})`);
}

/** A label outside the gateway model's label set is a failure, not an answer. */
export function checkLabel(label: string, labels: readonly string[], what: string): string {
  if (!labels.includes(label)) {
    throw new TeacherError(
      "unknown_label",
      `${what}: label ${JSON.stringify(label)} is not in the label set`,
    );
  }
  return label;
}

/**
 * Runs one task per item in parallel; the first failure aborts the others (their answers would be thrown
 * away) and is the one reported. Protocols without batching (openai, http-json, workers-ai) use this.
 */
export async function allOrAbort<T, R>(
  items: readonly T[],
  signal: AbortSignal,
  task: (item: T, signal: AbortSignal) => Promise<R>,
): Promise<R[]> {
  const siblings = new AbortController();
  const forward = () => siblings.abort(signal.reason);
  if (signal.aborted) forward();
  else signal.addEventListener("abort", forward, { once: true });
  try {
    return await Promise.all(
      items.map((item) =>
        task(item, siblings.signal).catch((error: unknown) => {
          siblings.abort();
          throw error;
        }),
      ),
    );
  } finally {
    signal.removeEventListener("abort", forward);
  }
}
