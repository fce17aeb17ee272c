import { describe, expect, inject, it } from "vitest";
import { createApp } from "../../src/gateway/app.ts";
import { ERROR_CODE_HEADER } from "../../src/gateway/errors.ts";
import { ClassifyResponse } from "../../src/gateway/schemas/classify.ts";
import { InferResponse, ModelMetadata, ServerMetadata } from "../../src/gateway/schemas/v2.ts";
import { componentValidator } from "../helpers/openapi.ts";
import { envWith, expectError, expectV2Error, kserveTeacher, post } from "./gateway-helpers.ts";

/**
 * The gateway as clients nobody here wrote use it: the official KServe/Triton HTTP clients' request
 * shapes, the Open Inference Protocol's error body and paths, and HTTP's method and content-coding rules.
 */
const app = createApp({ teacher: () => kserveTeacher(inject("teachers").healthy) });
const call = (path: string, init: RequestInit = {}, env = envWith()) => app.request(path, init, env);

const TEXTS = ["what is my credit score", "book a flight to paris"];
/**
 * tritonclient.http's `InferenceServerClient.infer` with `InferInput.set_data_from_numpy(texts,
 * binary_data=False)` and `InferRequestedOutput(name, binary_data=False)`: this JSON, sent with no
 * Content-Type (geventhttpclient adds only Content-Length and its User-Agent); with
 * `request_compression_algorithm="gzip"` the body is gzipped and `Content-Encoding: gzip` added.
 */
const TRITON_JSON = JSON.stringify({
  inputs: [{ name: "text", shape: [TEXTS.length], datatype: "BYTES", data: TEXTS }],
  outputs: [
    { name: "probabilities", parameters: { binary_data: false } },
    { name: "label", parameters: { binary_data: false } },
  ],
});
const encode = (text: string) => new TextEncoder().encode(text);

async function gzip(bytes: Uint8Array): Promise<Uint8Array> {
  const stream = new Blob([bytes]).stream().pipeThrough(new CompressionStream("gzip"));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

/** A POST exactly as tritonclient sends it: raw bytes (so no Content-Type), Content-Length, User-Agent. */
const tritonPost = (body: Uint8Array, headers: Record<string, string> = {}): RequestInit => ({
  method: "POST",
  body,
  headers: {
    "content-length": String(body.length),
    "user-agent": "python/gevent-http-client-2.3.1",
    ...headers,
  },
});

/** A gzipped JSON body with its Content-Type, as a browser or curl --compressed-request would send it. */
const jsonGzip = (body: Uint8Array): RequestInit => ({
  method: "POST",
  body,
  headers: { "content-type": "application/json", "content-encoding": "gzip" },
});

const INFER = "/v2/models/clinc150/infer";

/** The same request with Content-Type, as the gateway always accepted it: the reference answer. */
async function typedAnswer() {
  return InferResponse.parse(await (await call(INFER, post(TRITON_JSON))).json());
}

describe("official KServe/Triton client request shapes", () => {
  it("infers a request with no Content-Type, as tritonclient and KServe's REST client send it", async () => {
    const init = tritonPost(encode(TRITON_JSON));
    expect(new Request("http://gateway/", init).headers.get("content-type")).toBeNull();
    const res = await call(INFER, init);
    expect(res.status).toBe(200);
    const body = InferResponse.parse(await res.json());
    expect(body).toEqual(await typedAnswer());
    expect(body.outputs.find((o) => o.name === "label")!.data).toEqual(["credit_score", "book_flight"]);
  });

  it("infers a gzip body (request_compression_algorithm='gzip'), on /v2 and /v1 alike", async () => {
    const res = await call(
      INFER,
      tritonPost(await gzip(encode(TRITON_JSON)), { "content-encoding": "gzip" }),
    );
    expect(res.status).toBe(200);
    expect(InferResponse.parse(await res.json())).toEqual(await typedAnswer());
    const v1 = JSON.stringify({ texts: TEXTS, options: { teacher: "never" } });
    const gz = await call("/v1/classify", jsonGzip(await gzip(encode(v1))));
    expect(gz.status).toBe(200);
    const plain = ClassifyResponse.parse(await (await call("/v1/classify", post(v1))).json());
    expect(ClassifyResponse.parse(await gz.json()).results).toEqual(plain.results);
  });

  it("refuses a zip bomb with 413: the limit is on the decoded size, and decoding stops there", async () => {
    // 8 MB of JSON whitespace: a few kB gzipped, well under MAX_BODY_BYTES (64 kB) on the wire.
    const bomb = `${TRITON_JSON.slice(0, -1)}${" ".repeat(8 * 1024 * 1024)}}`;
    const packed = await gzip(encode(bomb));
    expect(packed.length).toBeLessThan(65_536);
    await expectV2Error(await call(INFER, tritonPost(packed, { "content-encoding": "gzip" })), 413);
    const v1 = await call("/v1/classify", jsonGzip(await gzip(encode(`{"text":"hi"${" ".repeat(70_000)}}`))));
    await expectError(v1, 413, "payload_too_large");
    // Just under the limit once decoded is fine.
    const fits = `${TRITON_JSON.slice(0, -1)}${" ".repeat(60_000)}}`;
    const ok = await call(INFER, tritonPost(await gzip(encode(fits)), { "content-encoding": "gzip" }));
    expect(ok.status).toBe(200);
  });

  it("415 with Accept-Encoding: gzip for any other coding; 400 for a body that is not gzip", async () => {
    for (const coding of ["br", "deflate", "gzip, br", "compress"]) {
      const res = await call(INFER, tritonPost(encode(TRITON_JSON), { "content-encoding": coding }));
      expect(res.headers.get("accept-encoding"), coding).toBe("gzip");
      await expectV2Error(res, 415, "unsupported_media_type");
    }
    const v1 = await call("/v1/classify", post('{"text":"hi"}', { "content-encoding": "br" }));
    expect(v1.headers.get("accept-encoding")).toBe("gzip");
    await expectError(v1, 415, "unsupported_media_type");
    const identity = await call(INFER, tritonPost(encode(TRITON_JSON), { "content-encoding": "identity" }));
    expect(identity.status).toBe(200);
    const corrupt = tritonPost(encode(TRITON_JSON), { "content-encoding": "gzip" });
    await expectV2Error(await call(INFER, corrupt), 400, "invalid_request");
  });
});

describe("Open Inference Protocol conformance", () => {
  it('errors under /v2 are {"error": "<message>"} with the code in x-error-code; /v1 keeps its shape', async () => {
    const missing = await call("/v2/models/nope");
    expect(missing.status).toBe(404);
    expect(missing.headers.get(ERROR_CODE_HEADER)).toBe("model_not_found");
    expect(Object.keys((await missing.json()) as object)).toEqual(["error"]);
    const unknown = await call("/v2/nothing/here");
    await expectV2Error(unknown, 404, "not_found");
    await expectError(await call("/v1/classify", post({ text: "" })), 400, "invalid_request");
  });

  it("/openapi.json states the /v2 error body as V2Error, and the answers fit it", async () => {
    const doc = (await (await call("/openapi.json")).json()) as {
      paths: Record<string, Record<string, { responses: Record<string, unknown> }>>;
    };
    const notFound = JSON.stringify(doc.paths["/v2/models/{name}/infer"]!.post!.responses["404"]);
    expect(notFound).toContain("#/components/schemas/V2Error");
    const v2 = componentValidator(doc, "V2Error");
    expect(v2.validate(await (await call("/v2/models/nope")).json()).valid).toBe(true);
    expect(v2.validate(await (await call(INFER, post("{"))).json()).valid).toBe(true);
    expect(v2.validate({ error: { code: "x", message: "y" } }).valid).toBe(false);
  });

  it("answers /v2/ (the spec's path, trailing slash) as /v2", async () => {
    const slash = await call("/v2/");
    expect(slash.status).toBe(200);
    expect(ServerMetadata.parse(await slash.json())).toEqual(
      ServerMetadata.parse(await (await call("/v2")).json()),
    );
  });

  it("names the student's platform onnx_onnxv1, one of the spec's platform names", async () => {
    const meta = ModelMetadata.parse(await (await call("/v2/models/clinc150")).json());
    expect(meta.platform).toBe("onnx_onnxv1");
  });
});

describe("HTTP method semantics (RFC 9110)", () => {
  it("a wrong method on a known route is 405 with Allow, in the route's error shape", async () => {
    const cases: [string, string, string][] = [
      ["GET", "/v1/classify", "POST, OPTIONS"],
      ["PUT", INFER, "POST, OPTIONS"],
      ["DELETE", "/v2/models/clinc150", "GET, HEAD, OPTIONS"],
      ["POST", "/healthz", "GET, HEAD, OPTIONS"],
      ["POST", "/openapi.json", "GET, HEAD, OPTIONS"],
    ];
    for (const [method, path, allow] of cases) {
      const res = await call(path, { method });
      expect(res.headers.get("allow"), `${method} ${path}`).toBe(allow);
      if (path.startsWith("/v2")) await expectV2Error(res, 405, "method_not_allowed");
      else await expectError(res, 405, "method_not_allowed");
    }
    await expectError(await call("/v1/nothing", { method: "PUT" }), 404, "not_found");
  });

  it("OPTIONS outside a CORS preflight is 204 with Allow on a known path, 404 elsewhere", async () => {
    for (const [path, allow] of [
      ["/v1/classify", "POST, OPTIONS"],
      ["/healthz", "GET, HEAD, OPTIONS"],
      ["/v2/health/live", "GET, HEAD, OPTIONS"],
    ]) {
      const res = await call(path!, { method: "OPTIONS" });
      expect(res.status, path).toBe(204);
      expect(res.headers.get("allow"), path).toBe(allow);
      expect(await res.text()).toBe("");
    }
    await expectError(await call("/nope", { method: "OPTIONS" }), 404, "not_found");
  });

  it("HEAD is answered like GET without a body", async () => {
    const res = await call("/healthz", { method: "HEAD" });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^application\/json/);
    expect(await res.text()).toBe("");
  });
});
