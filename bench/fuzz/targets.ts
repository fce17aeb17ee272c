import fc from "fast-check";
import { classifyRequests, nearValidClassify, validClassify } from "../../test/helpers/fuzz-bodies.ts";
import type { Auth, FuzzCase } from "./case.ts";
import { type BodyCase, hostileBodies, nastyString, segment } from "./values.ts";

/**
 * The generators of the public JSON endpoints: /v1/classify (the test suite's own bodies plus the
 * hostile kinds) and the KServe V2 infer routes. Admin endpoints are in targets-admin.ts, everything
 * else the OpenAPI document lists in openapi-targets.ts.
 */
export interface TargetContext {
  /** Served models and their live versions (GET /v1/models). */
  models: readonly string[];
  versions: readonly string[];
  maxBodyBytes: number;
  maxUploadBytes: number;
  /** A real manifest (models/clinc150), the base of near-valid uploads. */
  manifest: Record<string, unknown>;
}

export interface Target {
  /** "METHOD /template", as the OpenAPI document names the route. */
  endpoint: string;
  arbitrary: fc.Arbitrary<FuzzCase>;
  /** Share of the cases, relative to the others (default 1). */
  weight?: number;
}

/** Odd but legal x-request-id values and accept headers ride along on some requests. */
export const extraHeaders: fc.Arbitrary<Record<string, string>> = fc.record(
  {
    "x-request-id": fc.oneof(
      fc.string({ unit: fc.constantFrom("a", "-", "_", ".", "/", "\\", '"', "%"), maxLength: 300 }),
      fc.constant("x".repeat(5000)),
    ),
    accept: fc.constantFrom("text/html", "*/*", "application/xml", ""),
  },
  { requiredKeys: [] },
);

/** Public routes: credentials are irrelevant, but a stray Authorization header must not change that. */
export const publicAuth: fc.Arbitrary<Auth> = fc.oneof(
  { weight: 6, arbitrary: fc.constant<Auth>("none") },
  { weight: 1, arbitrary: fc.constantFrom<Auth>("admin", "wrong", "malformed") },
);

/** Builds a case; `type` "" sends no content type. */
export function caseOf(
  endpoint: string,
  method: string,
  path: string,
  auth: Auth,
  headers: Record<string, string>,
  body: BodyCase | null,
): FuzzCase {
  const all = { ...headers };
  if (body !== null && body.type !== "") all["content-type"] = body.type;
  return {
    endpoint,
    method,
    path,
    headers: all,
    auth,
    body: body?.body ?? null,
    chunked: body?.chunked ?? false,
  };
}

function classify(ctx: TargetContext): Target {
  const endpoint = "POST /v1/classify";
  const suite: fc.Arbitrary<BodyCase> = classifyRequests(ctx.maxBodyBytes).map(({ body, type }) => ({
    body: { kind: "text", text: body },
    type,
    chunked: false,
  }));
  const bodies = fc.oneof(suite, hostileBodies(fc.oneof(nearValidClassify, validClassify), ctx.maxBodyBytes));
  return {
    endpoint,
    weight: 4,
    arbitrary: fc
      .tuple(bodies, publicAuth, extraHeaders)
      .map(([body, auth, headers]) => caseOf(endpoint, "POST", "/v1/classify", auth, headers, body)),
  };
}

const nonBlank = fc.string({ minLength: 1, maxLength: 40 }).filter((t) => /\S/.test(t));
const anyJson = fc.jsonValue({ maxDepth: 2 });
const parameters = fc.oneof(
  fc.dictionary(fc.string({ maxLength: 8 }), fc.oneof(fc.string(), fc.integer(), fc.boolean())),
  anyJson,
);

/** KServe V2 infer bodies: valid ones (shape [n] or [n, 1] matching the data) and near-valid ones. */
const inferBodies: fc.Arbitrary<unknown> = (() => {
  const valid = fc
    .tuple(
      fc.array(nonBlank, { minLength: 1, maxLength: 8 }),
      fc.boolean(),
      fc.option(fc.array(fc.record({ name: fc.constantFrom("probabilities", "label") }), { maxLength: 2 }), {
        nil: undefined,
      }),
    )
    .map(([data, column, outputs]) => ({
      inputs: [
        column
          ? { name: "text", datatype: "BYTES", shape: [data.length, 1], data: data.map((d) => [d]) }
          : { name: "text", datatype: "BYTES", shape: [data.length], data },
      ],
      ...(outputs !== undefined ? { outputs } : {}),
    }));
  const input = fc.record(
    {
      name: fc.oneof(fc.constantFrom("text", "TEXT", "input"), nastyString),
      datatype: fc.oneof(fc.constantFrom("BYTES", "FP32", "bytes", ""), anyJson),
      shape: fc.oneof(
        fc.tuple(fc.integer({ min: -1, max: 70 })),
        fc.tuple(fc.integer({ min: 0, max: 70 }), fc.integer({ min: 0, max: 2 })),
        fc.array(fc.integer({ min: -2, max: 5 }), { maxLength: 4 }),
        anyJson,
      ),
      data: fc.oneof(
        fc.array(fc.oneof(nonBlank, nastyString, anyJson), { maxLength: 6 }),
        fc.array(fc.array(nonBlank, { maxLength: 2 }), { maxLength: 3 }),
        anyJson,
      ),
      parameters,
    },
    { requiredKeys: [] },
  );
  const nearValid = fc.record(
    {
      id: fc.oneof(fc.string({ maxLength: 20 }), anyJson),
      parameters,
      inputs: fc.oneof(fc.array(input, { maxLength: 3 }), anyJson),
      outputs: fc.oneof(
        fc.array(
          fc.record({ name: fc.oneof(fc.constantFrom("probabilities", "label", "logits"), nastyString) }),
          { maxLength: 3 },
        ),
        anyJson,
      ),
    },
    { requiredKeys: [] },
  );
  return fc.oneof({ weight: 2, arbitrary: valid }, { weight: 3, arbitrary: nearValid });
})();

function infer(ctx: TargetContext, versioned: boolean): Target {
  const endpoint = versioned
    ? "POST /v2/models/{name}/versions/{version}/infer"
    : "POST /v2/models/{name}/infer";
  const names = segment([...ctx.models, "nope"]);
  const versions = segment([...ctx.versions, "9.9.9"]);
  return {
    endpoint,
    weight: 2,
    arbitrary: fc
      .tuple(names, versions, hostileBodies(inferBodies, ctx.maxBodyBytes), publicAuth, extraHeaders)
      .map(([name, version, body, auth, headers]) =>
        caseOf(
          endpoint,
          "POST",
          versioned ? `/v2/models/${name}/versions/${version}/infer` : `/v2/models/${name}/infer`,
          auth,
          headers,
          body,
        ),
      ),
  };
}

export function publicTargets(ctx: TargetContext): Target[] {
  return [classify(ctx), infer(ctx, false), infer(ctx, true)];
}
