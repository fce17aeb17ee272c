import fc from "fast-check";
import { z } from "zod";
import type { Auth } from "./case.ts";
import { caseOf, extraHeaders, publicAuth, type Target, type TargetContext } from "./targets.ts";
import { hostileBodies, queryString, segment } from "./values.ts";

/**
 * Every operation the gateway's own /openapi.json lists gets cases, so a route added later is fuzzed
 * without anyone remembering to: documented operations with no hand-written generator get a generic one
 * (hostile path parameters and query strings, hostile JSON bodies for POST/PUT/PATCH). Two more targets
 * send undocumented methods to documented paths and requests to paths that do not exist.
 */
const Parameter = z.object({ name: z.string(), in: z.string() });
const Operation = z.object({ parameters: z.array(Parameter).optional() });
export const OpenApiDoc = z.object({ paths: z.record(z.string(), z.record(z.string(), z.unknown())) });
export type OpenApiDoc = z.infer<typeof OpenApiDoc>;

const METHODS = ["get", "post", "put", "patch", "delete"] as const;

export interface Operation {
  endpoint: string;
  method: string;
  template: string;
  query: string[];
}

/** The documented operations, sorted so the generator (and a seed's cases) do not depend on key order. */
export function operationsOf(doc: OpenApiDoc): Operation[] {
  const out: Operation[] = [];
  for (const template of Object.keys(doc.paths).sort()) {
    const item = doc.paths[template] ?? {};
    for (const method of METHODS) {
      if (!(method in item)) continue;
      const op = Operation.safeParse(item[method]);
      const query = op.success
        ? (op.data.parameters ?? []).filter((p) => p.in === "query").map((p) => p.name)
        : [];
      out.push({
        endpoint: `${method.toUpperCase()} ${template}`,
        method: method.toUpperCase(),
        template,
        query,
      });
    }
  }
  return out;
}

/** A template's path with each {param} filled from `values` (valid ones) or something hostile. */
function pathOf(template: string, ctx: TargetContext): fc.Arbitrary<string> {
  const parts = template.split(/(\{[^}]+\})/).filter((p) => p !== "");
  return fc
    .tuple(
      ...parts.map((p) => {
        if (!p.startsWith("{")) return fc.constant(p);
        const name = p.slice(1, -1);
        return segment(
          name === "name" ? [...ctx.models, "nope"] : name === "version" ? [...ctx.versions, "9.9.9"] : ["x"],
        );
      }),
    )
    .map((filled) => filled.join(""));
}

const adminish = (template: string): fc.Arbitrary<Auth> =>
  template.startsWith("/admin")
    ? fc.oneof(
        { weight: 8, arbitrary: fc.constant<Auth>("admin") },
        { weight: 1, arbitrary: fc.constantFrom<Auth>("none", "wrong") },
      )
    : publicAuth;

function generic(op: Operation, ctx: TargetContext): Target {
  const hasBody = op.method !== "GET" && op.method !== "DELETE";
  const query = queryString(Object.fromEntries(op.query.map((q) => [q, ["1", "x", ""]])));
  const body = hasBody ? hostileBodies(fc.jsonValue({ maxDepth: 3 }), ctx.maxBodyBytes) : fc.constant(null);
  return {
    endpoint: op.endpoint,
    arbitrary: fc
      .tuple(pathOf(op.template, ctx), query, body, adminish(op.template), extraHeaders)
      .map(([path, q, b, auth, headers]) => caseOf(op.endpoint, op.method, `${path}${q}`, auth, headers, b)),
  };
}

export const WRONG_METHOD = "undocumented method on a documented path";
export const UNKNOWN_PATH = "unknown path";

function wrongMethods(ops: readonly Operation[], ctx: TargetContext): Target {
  const byTemplate = new Map<string, Set<string>>();
  for (const op of ops)
    byTemplate.set(op.template, (byTemplate.get(op.template) ?? new Set()).add(op.method));
  const pairs = [...byTemplate].flatMap(([template, methods]) =>
    ["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "HEAD"]
      .filter((m) => !methods.has(m))
      .map((m) => [template, m] as const),
  );
  return {
    endpoint: WRONG_METHOD,
    arbitrary: fc
      .constantFrom(...pairs)
      .chain(([template, method]) =>
        fc.tuple(
          fc.constant(method),
          pathOf(template, ctx),
          adminish(template),
          method === "GET" || method === "HEAD"
            ? fc.constant(null)
            : fc.option(hostileBodies(fc.jsonValue({ maxDepth: 2 }), ctx.maxBodyBytes), { nil: null }),
        ),
      )
      .map(([method, path, auth, body]) => caseOf(WRONG_METHOD, method, path, auth, {}, body)),
  };
}

function unknownPaths(): Target {
  const prefix = fc.constantFrom(
    "/",
    "/v1/",
    "/v2/",
    "/admin/",
    "/v1/classify/",
    "/v2/models/clinc150/",
    "//",
    "/admin/models/clinc150/versions/",
  );
  return {
    endpoint: UNKNOWN_PATH,
    arbitrary: fc
      .tuple(
        prefix,
        segment(["nope", "..", "%2e%2e", "index.html", "favicon.ico", ".env"]),
        fc.constantFrom("GET", "POST"),
        fc.constantFrom<Auth>("none", "admin"),
      )
      .map(([p, s, method, auth]) => caseOf(UNKNOWN_PATH, method, `${p}${s}`, auth, {}, null)),
  };
}

/**
 * The targets for the whole surface: the hand-written ones, a generic one for each documented operation
 * they do not cover, and the two catch-alls.
 */
export function allTargets(doc: OpenApiDoc, handWritten: readonly Target[], ctx: TargetContext): Target[] {
  const ops = operationsOf(doc);
  const covered = new Set(handWritten.map((t) => t.endpoint));
  const generics = ops.filter((op) => !covered.has(op.endpoint)).map((op) => generic(op, ctx));
  return [...handWritten, ...generics, wrongMethods(ops, ctx), unknownPaths()];
}
