import fc from "fast-check";
import type { Auth, BodySpec } from "./case.ts";
import { caseOf, extraHeaders, type Target, type TargetContext } from "./targets.ts";
import { type BodyCase, hostileBodies, nastyString, queryString, segment } from "./values.ts";

/**
 * The admin endpoints' generators, mostly with the valid admin token (the point is what lies behind the
 * auth check), sometimes none, a wrong one or a malformed one. Nothing generated here can destroy the
 * stack's state: promotions name only versions that exist (or get a 4xx), uploads are junk that fails
 * validation, key revocations name ids that do not exist.
 */
const adminAuth: fc.Arbitrary<Auth> = fc.oneof(
  { weight: 8, arbitrary: fc.constant<Auth>("admin") },
  { weight: 1, arbitrary: fc.constantFrom<Auth>("none", "wrong", "malformed") },
);
const anyJson = fc.jsonValue({ maxDepth: 2 });
const SMALL_BODY = 4096;

function target(endpoint: string, path: fc.Arbitrary<string>, body: fc.Arbitrary<BodyCase | null>): Target {
  const method = endpoint.split(" ")[0]!;
  return {
    endpoint,
    weight: 2,
    arbitrary: fc
      .tuple(path, body, adminAuth, extraHeaders)
      .map(([p, b, auth, headers]) => caseOf(endpoint, method, p, auth, headers, b)),
  };
}

/** Promote bodies: valid ones name only versions that exist (the live ones), so state stays meaningful. */
function promoteBodies(versions: readonly string[]): fc.Arbitrary<unknown> {
  const valid = fc.record(
    { version: fc.constantFrom(...versions), canary_percent: fc.integer({ min: 1, max: 99 }) },
    { requiredKeys: ["version"] },
  );
  const nearValid = fc.record(
    {
      version: fc.oneof(
        { weight: 3, arbitrary: fc.constantFrom(...versions) },
        { weight: 1, arbitrary: fc.constantFrom("9.9.9", "1.0", "v1.0.0", "../1.0.0") },
        { weight: 1, arbitrary: nastyString },
        { weight: 1, arbitrary: anyJson },
      ),
      canary_percent: fc.oneof(fc.integer({ min: -5, max: 105 }), fc.double(), anyJson),
      extra: anyJson,
    },
    { requiredKeys: [] },
  );
  return fc.oneof(valid, nearValid);
}

/** A multipart body, assembled by hand so its structure can be wrong in every way. */
function multipart(ctx: TargetContext): fc.Arbitrary<BodyCase> {
  const manifestText = fc.oneof(
    fc
      .record({
        version: fc.constantFrom("1.0.0", "9.9.9", "2.0.0-fuzz"),
        sha: fc.constantFrom("0".repeat(64), "zz"),
        bytes: fc.integer({ min: -1, max: 100 }),
      })
      .map(({ version, sha, bytes }) =>
        JSON.stringify({
          ...ctx.manifest,
          version,
          onnx: { ...(ctx.manifest.onnx as object), sha256: sha, bytes },
        }),
      ),
    anyJson.map((v) => JSON.stringify(v) ?? "null"),
    fc.string({ maxLength: 50 }),
  );
  const part = fc.record({
    name: fc.oneof(
      { weight: 4, arbitrary: fc.constantFrom("manifest", "onnx") },
      { weight: 1, arbitrary: fc.constantFrom("x", "__proto__", "", 'manifest"; x="') },
    ),
    filename: fc.option(fc.constantFrom("manifest.json", "student.onnx", "", 'a"b.onnx')),
    type: fc.option(fc.constantFrom("application/json", "application/octet-stream", "text/plain")),
    content: fc.oneof(manifestText, fc.string({ maxLength: 100 }), fc.constant("")),
  });
  const boundary = "fuzzBOUNDARY7c1e";
  const assembled = fc.tuple(fc.array(part, { maxLength: 4 }), fc.boolean()).map(([parts, closed]) => {
    const lines = parts.map(
      (p) =>
        `--${boundary}\r\nContent-Disposition: form-data; name="${p.name}"${p.filename !== null ? `; filename="${p.filename}"` : ""}\r\n` +
        `${p.type !== null ? `Content-Type: ${p.type}\r\n` : ""}\r\n${p.content}\r\n`,
    );
    return `${lines.join("")}${closed ? `--${boundary}--\r\n` : ""}`;
  });
  const type = fc.oneof(
    { weight: 6, arbitrary: fc.constant(`multipart/form-data; boundary=${boundary}`) },
    {
      weight: 1,
      arbitrary: fc.constantFrom(
        "multipart/form-data; boundary=other",
        "multipart/form-data",
        "application/json",
        "text/plain",
        "",
      ),
    },
  );
  const oversize = fc
    .record({
      times: fc.integer({ min: ctx.maxUploadBytes + 1, max: 2 * ctx.maxUploadBytes }),
      chunked: fc.boolean(),
    })
    .map(
      ({ times, chunked }): BodyCase => ({
        body: {
          kind: "repeat",
          prefix: `--${boundary}\r\nContent-Disposition: form-data; name="onnx"; filename="s.onnx"\r\n\r\n`,
          unit: "x",
          times,
          suffix: `\r\n--${boundary}--\r\n`,
        },
        type: `multipart/form-data; boundary=${boundary}`,
        chunked,
      }),
    );
  const bytes = fc
    .uint8Array({ maxLength: 200 })
    .map((b): BodySpec => ({ kind: "bytes", hex: Buffer.from(b).toString("hex") }));
  return fc.oneof(
    {
      weight: 8,
      arbitrary: fc
        .tuple(assembled, type, fc.boolean())
        .map(([text, t, chunked]): BodyCase => ({ body: { kind: "text", text }, type: t, chunked })),
    },
    { weight: 1, arbitrary: oversize },
    {
      weight: 1,
      arbitrary: bytes.map(
        (body): BodyCase => ({ body, type: `multipart/form-data; boundary=${boundary}`, chunked: false }),
      ),
    },
  );
}

export function adminTargets(ctx: TargetContext): Target[] {
  const name = segment([...ctx.models, "nope"]);
  const version = segment([...ctx.versions, "9.9.9", "2.0.0-fuzz"]);
  const none = fc.constant(null);
  const anyBody = fc.option(hostileBodies(anyJson, SMALL_BODY), { nil: null });
  const hardExamples = queryString({
    model: ctx.models,
    version: ctx.versions,
    route: ["teacher", "degraded", "cache", "audit", "nope"],
    since: ["2026-01-01", "2026-01-01T00:00:00Z", "2026-13-45", "yesterday"],
    limit: ["1", "10", "100000", "100001", "0", "-1", "1.5"],
  });
  const stats = queryString({
    model: ctx.models,
    version: ctx.versions,
    hours: ["1", "24", "720", "721", "0", "-1", "1.5"],
    top: ["1", "10", "50", "51", "0"],
    until: ["2026-01-01T00:00:00Z", "2026-01-01", "tomorrow"],
  });
  const keyId = fc.oneof(fc.stringMatching(/^[0-9a-f]{16}$/), segment(["0000000000000000"]));
  return [
    target("GET /admin/models", fc.constant("/admin/models"), none),
    target(
      "GET /admin/models/{name}",
      name.map((n) => `/admin/models/${n}`),
      none,
    ),
    target(
      "PUT /admin/models/{name}/versions/{version}",
      fc.tuple(name, version).map(([n, v]) => `/admin/models/${n}/versions/${v}`),
      multipart(ctx),
    ),
    target(
      "POST /admin/models/{name}/promote",
      name.map((n) => `/admin/models/${n}/promote`),
      hostileBodies(promoteBodies(ctx.versions), SMALL_BODY),
    ),
    target(
      "POST /admin/models/{name}/rollback",
      name.map((n) => `/admin/models/${n}/rollback`),
      anyBody,
    ),
    target(
      "GET /admin/hard-examples",
      hardExamples.map((q) => `/admin/hard-examples${q}`),
      none,
    ),
    target(
      "GET /admin/stats",
      stats.map((q) => `/admin/stats${q}`),
      none,
    ),
    target("GET /admin/keys", fc.constant("/admin/keys"), none),
    target(
      "POST /admin/keys",
      fc.constant("/admin/keys"),
      hostileBodies(
        fc.record(
          { name: fc.oneof(fc.string({ maxLength: 120 }), nastyString, anyJson), extra: anyJson },
          { requiredKeys: [] },
        ),
        SMALL_BODY,
      ),
    ),
    target(
      "DELETE /admin/keys/{id}",
      keyId.map((id) => `/admin/keys/${id}`),
      none,
    ),
  ];
}
