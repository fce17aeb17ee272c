/// <reference types="vite/client" />

import fc from "fast-check";
import { describe, expect, inject, it } from "vitest";
import { createApp } from "../../src/gateway/app.ts";
import { ClassifyResponse } from "../../src/gateway/schemas/classify.ts";
import { ErrorResponse } from "../../src/gateway/schemas/error.ts";
import { classifyRequests, DEFAULT_MAX_BODY_BYTES, SERVED_MODELS } from "../helpers/fuzz-bodies.ts";
import { componentValidator } from "../helpers/openapi.ts";
import { envWith, kserveTeacher } from "./gateway-helpers.ts";

/**
 * Generated bodies thrown at POST /v1/classify: random JSON values, random bytes, and near-valid bodies
 * with wrong types, missing or extra keys, bad options and oversize texts. Whatever arrives, the gateway
 * must never answer 5xx; every error must be the JSON error body; and the request schema published in
 * /openapi.json must agree with what the gateway accepts. Runs: VITE_FUZZ_RUNS (default 1000), e.g.
 * `VITE_FUZZ_RUNS=5000 npx vitest run --project workerd test/workerd/gateway-fuzz.test.ts`.
 */
const RUNS = Number(import.meta.env.VITE_FUZZ_RUNS ?? 1000);
const MAX_BODY_BYTES = DEFAULT_MAX_BODY_BYTES;

const app = createApp({ teacher: () => kserveTeacher(inject("teachers").healthy) });
const env = envWith();

/** The shared generator (test/helpers/fuzz-bodies.ts), also used by `npm run bench:fuzz`. */
const requests = classifyRequests(MAX_BODY_BYTES);

async function requestSchema() {
  const doc = await (await app.request("/openapi.json", {}, env)).json();
  return componentValidator(doc, "ClassifyRequest");
}

describe(`POST /v1/classify under ${RUNS} generated bodies`, () => {
  it("never answers 5xx, always answers in contract, and agrees with its published schema", {
    timeout: 300_000,
  }, async () => {
    const schema = await requestSchema();
    const statuses = new Map<number, number>();
    await fc.assert(
      fc.asyncProperty(requests, async ({ body, type }) => {
        const headers: Record<string, string> = type ? { "content-type": type } : {};
        const res = await app.request("/v1/classify", { method: "POST", body, headers }, env);
        statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
        expect(res.status).toBeLessThan(500);
        expect(res.headers.get("x-request-id")).toBeTruthy();
        expect(res.headers.get("content-type")).toMatch(/^application\/json/);
        const json: unknown = await res.json();
        if (res.status >= 400) {
          ErrorResponse.parse(json);
        } else {
          expect(res.status).toBe(200);
          ClassifyResponse.parse(json);
        }

        // Agreement with /openapi.json: a body the gateway answers is one the schema accepts, and a body
        // the schema accepts is answered, unless it names an unknown model or is too large or mistyped.
        const isJsonType = /^application\/json\s*(;|$)/i.test(type);
        const size = new TextEncoder().encode(body).length;
        let parsed: unknown;
        try {
          parsed = JSON.parse(body);
        } catch {
          return;
        }
        const valid = schema.validate(parsed).valid;
        if (res.status === 200) expect(valid, body.slice(0, 200)).toBe(true);
        const model = (parsed as { model?: unknown } | null)?.model;
        if (
          valid &&
          isJsonType &&
          size <= MAX_BODY_BYTES &&
          (model === undefined || SERVED_MODELS.has(String(model)))
        )
          expect(res.status, body.slice(0, 200)).toBe(200);
      }),
      { numRuns: RUNS },
    );
    // The generator reached the interesting answers, not only one kind of error (a tiny run may not).
    if (RUNS >= 500)
      for (const status of [200, 400, 404, 413, 415])
        expect(statuses.get(status) ?? 0, `status ${status}`).toBeGreaterThan(0);
  });
});
