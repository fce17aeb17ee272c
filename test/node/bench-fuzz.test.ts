import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { bodyBytes, describeCase, type FuzzCase, requestOf } from "../../bench/fuzz/case.ts";
import { type Counts, count, type Observed, problemsOf, totals } from "../../bench/fuzz/check.ts";
import { allTargets, operationsOf, UNKNOWN_PATH, WRONG_METHOD } from "../../bench/fuzz/openapi-targets.ts";
import { type FuzzResults, renderFuzzSection } from "../../bench/fuzz/report.ts";
import { publicTargets } from "../../bench/fuzz/targets.ts";
import { adminTargets } from "../../bench/fuzz/targets-admin.ts";
import { percentEncode, withKeys } from "../../bench/fuzz/values.ts";
import { baseCase, observed, targetContext } from "../helpers/bench-fuzz-fixtures.ts";

/** The fuzz benchmark's parts that need no gateway: the checks, the cases, the targets, the report. */
const kinds = (o: Observed) => problemsOf(o).map((p) => p.kind);

describe("answer checks", () => {
  it("accepts a JSON error body and a 2xx of any type", () => {
    expect(kinds(observed({}))).toEqual([]);
    expect(kinds(observed({ status: 200, contentType: "application/x-ndjson", body: "" }))).toEqual([]);
  });

  it("fails a 5xx even with a proper error body", () => {
    expect(kinds(observed({ status: 500 }))).toEqual(["server_error"]);
  });

  it("fails an error that is HTML, or JSON of another shape, or lacks x-request-id", () => {
    expect(kinds(observed({ status: 404, contentType: "text/html", body: "<h1>Not Found</h1>" }))).toEqual([
      "error_not_json",
      "error_body",
    ]);
    expect(kinds(observed({ body: '{"error":"bad"}' }))).toEqual(["error_body"]);
    expect(kinds(observed({ body: '{"error":{"code":"x","message":"y","stack":"at …"}}' }))).toEqual([
      "error_body",
    ]);
    expect(kinds(observed({ requestId: null }))).toEqual(["no_request_id"]);
  });

  it('holds /v2 answers to the protocol\'s error body, {"error": "<message>"}', () => {
    expect(kinds(observed({ path: "/v2/models/x/infer", body: '{"error":"bad"}' }))).toEqual([]);
    expect(kinds(observed({ path: "/v2?x=1", body: '{"error":"bad"}' }))).toEqual([]);
    const v1Shape = '{"error":{"code":"x","message":"y"}}';
    expect(kinds(observed({ path: "/v2/models/x/infer", body: v1Shape }))).toEqual(["error_body"]);
    expect(kinds(observed({ path: "/v2x", body: '{"error":"bad"}' }))).toEqual(["error_body"]);
  });

  it("checks only the type of a HEAD answer, which has no body", () => {
    expect(kinds(observed({ method: "HEAD", status: 404, body: "" }))).toEqual([]);
    expect(kinds(observed({ method: "HEAD", status: 404, contentType: "text/plain", body: "" }))).toEqual([
      "error_not_json",
    ]);
  });

  it("fails a request that got no answer", () => {
    expect(kinds(observed({ status: null, error: "ECONNRESET" }))).toEqual(["no_answer"]);
  });

  it("counts by endpoint and status", () => {
    const counts: Counts = {};
    count(counts, "POST /v1/classify", 200);
    count(counts, "POST /v1/classify", 400);
    count(counts, "GET /healthz", 200);
    count(counts, "GET /healthz", null);
    expect(counts["POST /v1/classify"]).toEqual({ "200": 1, "400": 1 });
    expect(totals(counts)).toEqual({ "200": 2, "400": 1, network: 1 });
  });
});

describe("cases", () => {
  it("materialises described bodies byte for byte, invalid UTF-8 included", () => {
    expect(bodyBytes({ kind: "repeat", prefix: "[", unit: "ab", times: 3, suffix: "]" })).toEqual(
      new TextEncoder().encode("[ababab]"),
    );
    expect(Array.from(bodyBytes({ kind: "bytes", hex: "7bffc0af7d" }))).toEqual([
      0x7b, 0xff, 0xc0, 0xaf, 0x7d,
    ]);
  });

  it("streams a chunked body without Content-Length and maps auth without leaking the token", async () => {
    const token = "t".repeat(40);
    const c: FuzzCase = { ...baseCase, body: { kind: "text", text: "x".repeat(100) }, chunked: true };
    const { url, init } = requestOf(c, "http://127.0.0.1:1", token);
    expect(url).toBe("http://127.0.0.1:1/v1/classify");
    expect(init.body).toBeInstanceOf(ReadableStream);
    const headers = new Headers(init.headers);
    expect(headers.get("authorization")).toBe(`Bearer ${token}`);
    expect(headers.get("content-length")).toBeNull();
    const wrong = new Headers(requestOf({ ...c, auth: "wrong" }, "http://h", token).init.headers);
    expect(wrong.get("authorization")).not.toContain(token);
    expect(
      new Headers(requestOf({ ...c, auth: "none" }, "http://h", token).init.headers).has("authorization"),
    ).toBe(false);
  });

  it("cuts long texts when a case is written to the results", () => {
    const described = describeCase(
      { ...baseCase, path: `/x${"a".repeat(5000)}`, body: { kind: "text", text: "b".repeat(5000) } },
      100,
    );
    expect(described.path.length).toBeLessThan(150);
    expect(described.body?.kind === "text" && described.body.text.length).toBeLessThan(150);
  });

  it("splices prototype keys into JSON as own properties", () => {
    const parsed = JSON.parse(withKeys({ text: "hi" }, [["__proto__", { polluted: true }]])) as object;
    expect(Object.hasOwn(parsed, "__proto__")).toBe(true);
    expect(Object.hasOwn(parsed, "text")).toBe(true);
    expect(JSON.parse(withKeys({}, [["constructor", 1]]))).toEqual({ constructor: 1 });
  });

  it("percent-encodes any string, lone surrogates included", () => {
    expect(percentEncode("a b/é")).toBe("a%20b%2F%C3%A9");
    expect(percentEncode("\ud800")).toBe("%EF%BF%BD");
    fc.assert(fc.property(fc.string(), (s) => decodeURIComponent(percentEncode(s)) === s));
  });
});

const doc = {
  paths: {
    "/v2/models/{name}/infer": { post: {} },
    "/admin/hard-examples": {
      get: {
        parameters: [
          { name: "limit", in: "query" },
          { name: "x", in: "header" },
        ],
      },
    },
    "/v1/classify": { post: {} },
    "/healthz": { get: {} },
    "/admin/new-thing": { get: {}, delete: {} },
  },
};

describe("targets", () => {
  it("lists the documented operations in a stable order, with their query parameters", () => {
    const ops = operationsOf(doc);
    expect(ops.map((o) => o.endpoint)).toEqual([
      "GET /admin/hard-examples",
      "GET /admin/new-thing",
      "DELETE /admin/new-thing",
      "GET /healthz",
      "POST /v1/classify",
      "POST /v2/models/{name}/infer",
    ]);
    expect(ops[0]?.query).toEqual(["limit"]);
  });

  it("gives every documented operation a generator, a generic one where none is hand-written", () => {
    const hand = [...publicTargets(targetContext), ...adminTargets(targetContext)];
    const all = allTargets(doc, hand, targetContext).map((t) => t.endpoint);
    for (const op of operationsOf(doc)) expect(all).toContain(op.endpoint);
    expect(all).toContain(WRONG_METHOD);
    expect(all).toContain(UNKNOWN_PATH);
    expect(all.filter((e) => e === "POST /v1/classify")).toHaveLength(1);
  });

  it("generates cases that name their target's endpoint and a path under it", () => {
    for (const target of allTargets(
      doc,
      [...publicTargets(targetContext), ...adminTargets(targetContext)],
      targetContext,
    )) {
      for (const c of fc.sample(target.arbitrary, { numRuns: 30, seed: 3 })) {
        expect(c.endpoint).toBe(target.endpoint);
        expect(c.path.startsWith("/")).toBe(true);
        if (c.method === "GET" || c.method === "HEAD") expect(c.body).toBeNull();
      }
    }
  });
});

describe("fuzz report", () => {
  const results = (failed: boolean): FuzzResults => ({
    command: "npm run bench:fuzz",
    date: "2026-01-01",
    machine: { nproc: 2, cpu: "cpu", node: "v20", packages: {}, commit: null },
    seed: 7,
    cases: 10,
    lanes: 2,
    settings: { vars: {}, maxBodyBytes: 65536, maxUploadBytes: 262144 },
    endpoints: [
      {
        endpoint: "POST /v1/classify",
        documented: true,
        cases: 10,
        byStatus: { "200": 4, "400": 5, "500": failed ? 1 : 0 },
      },
    ],
    byStatus: { "200": 4, "400": 5 },
    failures: failed
      ? {
          total: 1,
          byKind: { server_error: 1 },
          shrunk: [
            {
              endpoint: "POST /v1/classify",
              kind: "server_error",
              occurrences: 1,
              original: baseCase,
              minimal: baseCase,
              detail: "HTTP 500",
              shrinks: 3,
              reproduced: false,
            },
          ],
          log: [
            {
              endpoint: "POST /v1/classify",
              kind: "server_error",
              also: [],
              lane: 0,
              run: 4,
              request: "POST /v1/classify",
            },
          ],
        }
      : { total: 0, byKind: {}, shrunk: [], log: [] },
    rig: { flushRestarts: 2, streamRetries: { "dev-proxy 503": 1 }, flushFailures: [] },
    wallSeconds: 1,
    pass: !failed,
  });

  it("prints the seed, the counts and the verdict, and lists shrunk failures", () => {
    const good = renderFuzzSection(results(false), "fuzz.json");
    expect(good).toContain("seed **7**");
    expect(good).toContain("**Verdict: pass.**");
    expect(good).toContain("400: 5");
    const bad = renderFuzzSection(results(true), "fuzz.json");
    expect(bad).toContain("**Verdict: FAIL.**");
    expect(bad).toContain("server_error (1×; not reproduced when replayed alone)");
  });
});
