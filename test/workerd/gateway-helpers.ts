import { expect } from "vitest";
import { z } from "zod";
import type { Env } from "../../src/gateway/bindings.ts";
import type { TeacherPort } from "../../src/gateway/cascade/port.ts";
import { isOpenAiPath } from "../../src/gateway/chat/errors.ts";
import { ERROR_CODE_HEADER } from "../../src/gateway/errors.ts";
import { OpenAiErrorResponse } from "../../src/gateway/schemas/chat.ts";
import { ErrorResponse, V2ErrorResponse } from "../../src/gateway/schemas/error.ts";
import type { TeacherAnswer, TeacherOutcome, TeacherQuery } from "../../src/gateway/teacher-client/types.ts";

/**
 * Shared by the gateway's workerd tests. The teacher port here is a real one: it speaks KServe V2 over
 * HTTP to the local teacher servers global-setup.ts starts (healthy, or `failing`, which answers 503),
 * with none of the client's resilience, so cascade tests see exactly one HTTP call per escalation and no
 * state (breaker, cache) carried between tests. It records the queries it sent.
 */
const V2Response = z.object({
  outputs: z.array(
    z.object({
      name: z.string(),
      shape: z.array(z.number()),
      data: z.array(z.union([z.number(), z.string()])),
    }),
  ),
});

export interface RecordingPort extends TeacherPort {
  queries: TeacherQuery[];
}

export function kserveTeacher(baseUrl: string): RecordingPort {
  const queries: TeacherQuery[] = [];
  return {
    queries,
    async ask(query): Promise<TeacherOutcome> {
      queries.push(query);
      const started = Date.now();
      const fail = (
        kind: "http_5xx" | "http_4xx" | "network" | "bad_response",
        message: string,
      ): TeacherOutcome => ({
        ok: false,
        kind,
        message,
        latencyMs: Date.now() - started,
      });
      let res: Response;
      try {
        res = await fetch(`${baseUrl}/v2/models/${encodeURIComponent(query.model)}/infer`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({
            inputs: [{ name: "text", datatype: "BYTES", shape: [query.texts.length], data: query.texts }],
          }),
        });
      } catch (error) {
        return fail("network", String(error));
      }
      if (!res.ok) {
        await res.body?.cancel();
        return fail(res.status >= 500 ? "http_5xx" : "http_4xx", `HTTP ${res.status}`);
      }
      const body = V2Response.safeParse(await res.json());
      const probs = body.data?.outputs.find((o) => o.name === "probabilities")?.data;
      const labels = body.data?.outputs.find((o) => o.name === "label")?.data;
      if (!probs || !labels || labels.length !== query.texts.length)
        return fail("bad_response", "unexpected body");
      const C = query.labels.length;
      const answers = labels.map((label, i): TeacherAnswer => {
        const row = probs.slice(i * C, (i + 1) * C).map(Number);
        return {
          label: String(label),
          confidence: row[query.labels.indexOf(String(label))] ?? 0,
          probs: row,
        };
      });
      return { ok: true, answers, cached: answers.map(() => false), latencyMs: Date.now() - started };
    },
  };
}

export const post = (body: unknown, headers: Record<string, string> = {}): RequestInit => ({
  method: "POST",
  headers: { "content-type": "application/json", ...headers },
  body: typeof body === "string" ? body : JSON.stringify(body),
});

function expectErrorHead(res: Response, status: number): void {
  expect(res.status).toBe(status);
  expect(res.headers.get("content-type")).toMatch(/^application\/json/);
  expect(res.headers.get("x-request-id")).toBeTruthy();
}

/** Asserts the gateway's error contract (`{"error": {"code", "message"}}`) and returns the code. */
export async function expectError(res: Response, status: number, code?: string): Promise<string> {
  expectErrorHead(res, status);
  const body = ErrorResponse.parse(await res.json());
  if (code) expect(body.error.code).toBe(code);
  return body.error.code;
}

/**
 * The same for a /v2 answer: the protocol's `{"error": "<message>"}`, the code in x-error-code. Returns
 * the code.
 */
export async function expectV2Error(res: Response, status: number, code?: string): Promise<string> {
  expectErrorHead(res, status);
  expect(V2ErrorResponse.parse(await res.json()).error).toBeTruthy();
  const sent = res.headers.get(ERROR_CODE_HEADER) ?? "";
  if (code) expect(sent).toBe(code);
  return sent;
}

/**
 * The same for POST /v1/chat/completions: OpenAI's `{"error": {"message", "type", "param", "code"}}`.
 * Returns the error.
 */
export async function expectOpenAiError(res: Response, status: number, code?: string) {
  expectErrorHead(res, status);
  const { error } = OpenAiErrorResponse.parse(await res.json());
  if (code) expect(error.code).toBe(code);
  expect(error.message).toBeTruthy();
  return error;
}

/** expectError, expectV2Error or expectOpenAiError, by the path the request went to. */
export const expectErrorOn = async (path: string, res: Response, status: number, code?: string) => {
  if (path.startsWith("/v2")) return expectV2Error(res, status, code);
  if (isOpenAiPath(path)) return (await expectOpenAiError(res, status, code)).code;
  return expectError(res, status, code);
};

/** A fresh env object per call gives the app fresh per-env state (config, teacher port). */
export const envWith = (vars: Env = {}): Env => ({ ...vars });
