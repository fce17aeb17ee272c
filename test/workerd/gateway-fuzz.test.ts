/// <reference types="vite/client" />
import { Validator } from "@cfworker/json-schema";
import fc from "fast-check";
import { describe, expect, inject, it } from "vitest";
import { createApp } from "../../src/gateway/app.ts";
import { ClassifyResponse } from "../../src/gateway/schemas/classify.ts";
import { ErrorResponse } from "../../src/gateway/schemas/error.ts";
import { envWith, kserveTeacher } from "./gateway-helpers.ts";

/**
 * Generated bodies thrown at POST /v1/classify: random JSON values, random bytes, and near-valid bodies
 * with wrong types, missing or extra keys, bad options and oversize texts. Whatever arrives, the gateway
 * must never answer 5xx; every error must be the JSON error body; and the request schema published in
 * /openapi.json must agree with what the gateway accepts. Runs: VITE_FUZZ_RUNS (default 1000), e.g.
 * `VITE_FUZZ_RUNS=5000 npx vitest run --project workerd test/workerd/gateway-fuzz.test.ts`.
 */
const RUNS = Number(import.meta.env.VITE_FUZZ_RUNS ?? 1000);
const MAX_BODY_BYTES = 65_536;
const MODELS = new Set(["clinc150", "sms-spam"]);

const app = createApp({ teacher: () => kserveTeacher(inject("teachers").healthy) });
const env = envWith();

const whitespace = fc.string({
  unit: fc.constantFrom(" ", "\t", "\n", "\u00a0", "\u3000", "\u2028"),
  maxLength: 5,
});
const textish = fc.oneof(
  { weight: 4, arbitrary: fc.string({ minLength: 1, maxLength: 40 }) },
  { weight: 1, arbitrary: whitespace },
  { weight: 1, arbitrary: fc.constant("a".repeat(4001)) },
  { weight: 1, arbitrary: fc.constant("b".repeat(4000)) },
  { weight: 1, arbitrary: fc.string({ unit: "binary", maxLength: 30 }) },
  { weight: 2, arbitrary: fc.jsonValue({ maxDepth: 2 }) },
);
const options = fc.oneof(
  fc.record(
    {
      threshold: fc.oneof(fc.double({ min: -0.5, max: 1.5, noNaN: true }), fc.jsonValue({ maxDepth: 1 })),
      teacher: fc.oneof(
        fc.constantFrom("auto", "never", "always", "sometimes"),
        fc.jsonValue({ maxDepth: 1 }),
      ),
      explain: fc.oneof(fc.boolean(), fc.jsonValue({ maxDepth: 1 })),
      verbose: fc.boolean(),
    },
    { requiredKeys: [] },
  ),
  fc.jsonValue({ maxDepth: 2 }),
);
const model = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom("clinc150", "sms-spam") },
  { weight: 1, arbitrary: fc.constantFrom("nope", "") },
  { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 1 }) },
);
const texts = fc.oneof(
  fc.array(textish, { maxLength: 8 }),
  fc.array(fc.constantFrom("hi", "you have won", "book a flight"), { minLength: 60, maxLength: 70 }),
  fc.jsonValue({ maxDepth: 2 }),
);
const optional = { requiredKeys: [] as [] };
/** Mostly one of text/texts (the valid shapes, with wrong types inside), sometimes both or neither. */
const nearValid = fc.oneof(
  { weight: 4, arbitrary: fc.record({ text: textish, model, options }, { requiredKeys: ["text"] }) },
  { weight: 4, arbitrary: fc.record({ texts, model, options }, { requiredKeys: ["texts"] }) },
  {
    weight: 2,
    arbitrary: fc.record(
      { model, text: textish, texts, options, extra: fc.jsonValue({ maxDepth: 1 }) },
      optional,
    ),
  },
);

/** Bodies the schema accepts: every text non-blank, every option in range (200, or 404 for "nope"). */
const nonBlank = fc.string({ minLength: 1, maxLength: 60 }).filter((t) => /\S/.test(t));
const validOptions = fc.record(
  {
    threshold: fc.double({ min: 0, max: 1, noNaN: true }),
    teacher: fc.constantFrom("auto", "never", "always"),
    explain: fc.boolean(),
  },
  optional,
);
// "nope" keeps the schema-valid but unknown-model case (404) common enough to be seen on every run.
const someModel = fc.constantFrom("clinc150", "sms-spam", "nope");
const valid = fc.oneof(
  fc.record({ text: nonBlank, model: someModel, options: validOptions }, { requiredKeys: ["text"] }),
  fc.record(
    { texts: fc.array(nonBlank, { minLength: 1, maxLength: 64 }), model: someModel, options: validOptions },
    { requiredKeys: ["texts"] },
  ),
);
const oversize = fc
  .integer({ min: MAX_BODY_BYTES, max: 2 * MAX_BODY_BYTES })
  .map((n) => ({ text: "a ".repeat(n / 2) }));

/** A raw body and its content type. */
const requests = fc.oneof(
  { weight: 6, arbitrary: nearValid.map((b) => ({ body: JSON.stringify(b), type: "application/json" })) },
  { weight: 3, arbitrary: valid.map((b) => ({ body: JSON.stringify(b), type: "application/json" })) },
  { weight: 1, arbitrary: oversize.map((b) => ({ body: JSON.stringify(b), type: "application/json" })) },
  {
    weight: 2,
    arbitrary: fc.jsonValue().map((v) => ({ body: JSON.stringify(v) ?? "null", type: "application/json" })),
  },
  { weight: 1, arbitrary: fc.string({ maxLength: 200 }).map((body) => ({ body, type: "application/json" })) },
  {
    weight: 1,
    arbitrary: fc
      .tuple(
        nearValid,
        fc.constantFrom(
          "text/plain",
          "application/x-www-form-urlencoded",
          "",
          "application/json; charset=utf-8",
          "APPLICATION/JSON",
        ),
      )
      .map(([b, type]) => ({ body: JSON.stringify(b), type })),
  },
);

async function requestSchema(): Promise<Validator> {
  const doc = await (await app.request("/openapi.json", {}, env)).json();
  const v = new Validator(
    { $ref: "https://gateway.test/openapi.json#/components/schemas/ClassifyRequest" },
    "2020-12",
  );
  v.addSchema(doc as never, "https://gateway.test/openapi.json");
  return v;
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
          (model === undefined || MODELS.has(String(model)))
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
