import { exports } from "cloudflare:workers";
import { describe, expect, inject, it, vi } from "vitest";
import { createApp } from "../../src/gateway/app.ts";
import { parseConfig } from "../../src/gateway/config.ts";
import { ClassifyResponse } from "../../src/gateway/schemas/classify.ts";
import { HealthResponse, ModelDetail, ModelList } from "../../src/gateway/schemas/models.ts";
import {
  InferResponse,
  Live,
  ModelMetadata,
  ModelReady,
  Ready,
  ServerMetadata,
} from "../../src/gateway/schemas/v2.ts";
import { componentValidator } from "../helpers/openapi.ts";
import { envWith, expectError, expectV2Error, kserveTeacher, post } from "./gateway-helpers.ts";

/**
 * Everything around classification: bad input (each case of the contract), limits from configuration,
 * the model listing and health routes, the Open Inference Protocol surface, the OpenAPI document, request
 * ids, and the Worker entry itself.
 */
const app = createApp({ teacher: () => kserveTeacher(inject("teachers").healthy) });
const call = (path: string, init: RequestInit = {}, env = envWith()) => app.request(path, init, env);
const classify = (body: unknown, env = envWith(), headers: Record<string, string> = {}) =>
  call("/v1/classify", post(body, headers), env);

describe("POST /v1/classify: bad input is a 4xx with the JSON error body", () => {
  const long = "a".repeat(4001);
  it.each([
    ["not JSON", "{text: 'hi'}", 400, "invalid_json"],
    ["empty body", "", 400, "invalid_json"],
    ["a JSON array", ["hi"], 400, "invalid_request"],
    ["a JSON string", '"hi"', 400, "invalid_request"],
    ["null", "null", 400, "invalid_request"],
    ["neither text nor texts", { model: "clinc150" }, 400, "invalid_request"],
    ["both text and texts", { text: "hi", texts: ["hi"] }, 400, "invalid_request"],
    ["text not a string", { text: 42 }, 400, "invalid_request"],
    ["texts not an array", { texts: "hi" }, 400, "invalid_request"],
    ["texts with a non-string", { texts: ["hi", 3] }, 400, "invalid_request"],
    ["empty text", { text: "" }, 400, "invalid_request"],
    ["whitespace-only text", { text: " \t\n\u00a0\u3000" }, 400, "invalid_request"],
    ["whitespace-only text in a batch", { texts: ["fine", "  "] }, 400, "invalid_request"],
    ["text over MAX_TEXT_CHARS", { text: long }, 400, "invalid_request"],
    ["empty texts array", { texts: [] }, 400, "invalid_request"],
    ["more than MAX_BATCH texts", { texts: Array.from({ length: 65 }, () => "hi") }, 400, "invalid_request"],
    ["model not a string", { model: 7, text: "hi" }, 400, "invalid_request"],
    ["unknown model", { model: "gpt-9", text: "hi" }, 404, "model_not_found"],
    ["unknown top-level key", { text: "hi", temperature: 0 }, 400, "invalid_request"],
    ["unknown option key", { text: "hi", options: { explain: true, verbose: true } }, 400, "invalid_request"],
    ["options not an object", { text: "hi", options: "fast" }, 400, "invalid_request"],
    ["threshold above bounds", { text: "hi", options: { threshold: 1.5 } }, 400, "invalid_request"],
    ["threshold below bounds", { text: "hi", options: { threshold: -0.1 } }, 400, "invalid_request"],
    ["threshold not a number", { text: "hi", options: { threshold: "0.5" } }, 400, "invalid_request"],
    ["unknown teacher mode", { text: "hi", options: { teacher: "sometimes" } }, 400, "invalid_request"],
    ["explain not a boolean", { text: "hi", options: { explain: "yes" } }, 400, "invalid_request"],
  ])("%s → %i %s", async (_name, body, status, code) => {
    await expectError(await classify(body), status, code);
  });

  it("says which field is wrong and why", async () => {
    const res = await classify({ texts: ["ok", ""] });
    const { error } = (await res.json()) as { error: { message: string } };
    expect(error.message).toBe("texts.1: must not be empty or whitespace only");
    const threshold = await classify({ text: "hi", options: { threshold: 2 } });
    expect(((await threshold.json()) as { error: { message: string } }).error.message).toMatch(
      /^options\.threshold: /,
    );
    const both = await classify({ text: "hi", texts: ["hi"] });
    expect(((await both.json()) as { error: { message: string } }).error.message).toContain("exactly one");
  });

  it("413 over MAX_BODY_BYTES, 415 without application/json", async () => {
    await expectError(await classify({ text: "a ".repeat(40_000) }), 413, "payload_too_large");
    await expectError(
      await call("/v1/classify", {
        method: "POST",
        body: '{"text":"hi"}',
        headers: { "content-type": "text/plain" },
      }),
      415,
      "unsupported_media_type",
    );
    await expectError(
      await call("/v1/classify", { method: "POST", body: '{"text":"hi"}' }),
      415,
      "unsupported_media_type",
    );
  });

  it("answers a wrong method with a JSON 405 and Allow, an unknown path with a JSON 404", async () => {
    const wrong = await call("/v1/classify");
    expect(wrong.headers.get("allow")).toBe("POST, OPTIONS");
    await expectError(wrong, 405, "method_not_allowed");
    await expectError(await call("/v1/clasify", post({ text: "hi" })), 404, "not_found");
  });
});

describe("limits and defaults come from configuration", () => {
  const env = envWith({
    DEFAULT_MODEL: "sms-spam",
    MAX_TEXT_CHARS: "10",
    MAX_BATCH: "2",
    MAX_BODY_BYTES: "300",
    THRESHOLD_MIN: "0.2",
    THRESHOLD_MAX: "0.8",
  });

  it("enforces the configured limits", async () => {
    expect((await classify({ text: "a".repeat(10) }, env)).status).toBe(200);
    await expectError(await classify({ text: "a".repeat(11) }, env), 400);
    expect((await classify({ texts: ["a", "b"] }, env)).status).toBe(200);
    await expectError(await classify({ texts: ["a", "b", "c"] }, env), 400);
    await expectError(await classify({ texts: ["a"], pad: "x".repeat(300) }, env), 413);
    expect((await classify({ text: "hi", options: { threshold: 0.8 } }, env)).status).toBe(200);
    await expectError(await classify({ text: "hi", options: { threshold: 0.1 } }, env), 400);
    await expectError(await classify({ text: "hi", options: { threshold: 0.9 } }, env), 400);
  });

  it("uses DEFAULT_MODEL when a request names none", async () => {
    const body = ClassifyResponse.parse(await (await classify({ text: "free prize" }, env)).json());
    expect(body.model).toBe("sms-spam");
  });

  it("a bad configuration fails every request with a JSON 500 that names the variable", async () => {
    const log = vi.spyOn(console, "error").mockImplementation(() => {});
    for (const vars of [{ MAX_BATCH: "many" }, { DEFAULT_MODEL: "nope" }, { TEACHER_URL: "ftp://x" }]) {
      const res = await call("/healthz", {}, envWith(vars));
      await expectError(res, 500, "config_invalid");
    }
    const res = await call("/v1/models", {}, envWith({ MAX_BATCH: "many" }));
    expect(((await res.json()) as { error: { message: string } }).error.message).toContain("MAX_BATCH");
    log.mockRestore();
  });
});

describe("GET /v1/models, /v1/models/{name}, /healthz", () => {
  it("lists both models with routing, calibration and evaluation", async () => {
    const res = await call("/v1/models");
    expect(res.status).toBe(200);
    const body = ModelList.parse(await res.json());
    expect(body.default_model).toBe("clinc150");
    expect(body.models.map((m) => m.name)).toEqual(["clinc150", "sms-spam"]);
    const [clinc, sms] = body.models;
    expect(clinc).toMatchObject({ version: "1.0.0", classes: 151, default: true, out_of_scope_label: "oos" });
    expect(clinc!.routing!.score).toBe("margin");
    expect(clinc!.calibration!.temperature).toBeCloseTo(0.5731, 4);
    expect(clinc!.evaluation!.student_accuracy).toBeGreaterThan(0.8);
    expect(sms).toMatchObject({ classes: 2, default: false, out_of_scope_label: null });
    expect(sms!.routing!.score).toBe("max_prob");
  });

  it("describes one model with its labels, and 404s an unknown one", async () => {
    const body = ModelDetail.parse(await (await call("/v1/models/sms-spam")).json());
    expect(body.labels).toEqual(["ham", "spam"]);
    await expectError(await call("/v1/models/nope"), 404, "model_not_found");
  });

  it("/healthz says ok and which models this isolate has loaded", async () => {
    await classify({ model: "sms-spam", text: "hi" });
    const body = HealthResponse.parse(await (await call("/healthz")).json());
    expect(body.status).toBe("ok");
    expect(body.models["sms-spam"]).toEqual({ version: "1.0.0", loaded: true });
    expect(Object.keys(body.models)).toEqual(["clinc150", "sms-spam"]);
  });
});

describe("x-request-id", () => {
  it("is on every answer: success, 4xx, 404, 500; echoed when sane, generated otherwise", async () => {
    const log = vi.spyOn(console, "error").mockImplementation(() => {});
    const responses = [
      await classify({ text: "hi" }),
      await classify({ text: "" }),
      await call("/nope"),
      await call("/healthz", {}, envWith({ MAX_BATCH: "x" })),
      await call("/openapi.json"),
      await call("/v2/health/live"),
    ];
    for (const res of responses) expect(res.headers.get("x-request-id")).toMatch(/^[0-9a-f-]{36}$/);
    expect(new Set(responses.map((r) => r.headers.get("x-request-id"))).size).toBe(responses.length);
    const echoed = await classify({ text: "" }, envWith(), { "x-request-id": "client-trace_42" });
    expect(echoed.headers.get("x-request-id")).toBe("client-trace_42");
    const replaced = await classify({ text: "hi" }, envWith(), { "x-request-id": "bad id\twith spaces" });
    expect(replaced.headers.get("x-request-id")).toMatch(/^[0-9a-f-]{36}$/);
    log.mockRestore();
  });
});

describe("Open Inference Protocol (KServe V2)", () => {
  const infer = (name: string, body: unknown, path = `/v2/models/${name}/infer`) => call(path, post(body));
  const bytes = (data: unknown[], shape: number[] = [data.length]) => ({
    inputs: [{ name: "text", datatype: "BYTES", shape, data }],
  });

  it("health, server and model metadata", async () => {
    expect(Live.parse(await (await call("/v2/health/live")).json())).toEqual({ live: true });
    expect(Ready.parse(await (await call("/v2/health/ready")).json())).toEqual({ ready: true });
    expect(ServerMetadata.parse(await (await call("/v2")).json()).name).toBe("apprentice");
    const meta = ModelMetadata.parse(await (await call("/v2/models/clinc150")).json());
    expect(meta).toMatchObject({ name: "clinc150", versions: ["1.0.0"] });
    expect(meta.outputs).toEqual([
      { name: "probabilities", datatype: "FP32", shape: [-1, 151] },
      { name: "label", datatype: "BYTES", shape: [-1] },
    ]);
    expect(meta.parameters.labels).toHaveLength(151);
    expect((await call("/v2/models/sms-spam/versions/1.0.0")).status).toBe(200);
    expect(ModelReady.parse(await (await call("/v2/models/sms-spam/ready")).json())).toEqual({
      name: "sms-spam",
      ready: true,
    });
    await expectV2Error(await call("/v2/models/nope"), 404, "model_not_found");
    await expectV2Error(await call("/v2/models/sms-spam/versions/9.9.9"), 404, "model_not_found");
  });

  it("infer: the student's calibrated probabilities [n, C] and labels [n], as /v1/classify sees them", async () => {
    const texts = ["what is my credit score", "asdf qwer", "book a flight in paris"];
    const res = await infer("clinc150", { id: "req-1", ...bytes(texts) });
    expect(res.status).toBe(200);
    const body = InferResponse.parse(await res.json());
    expect(body).toMatchObject({ model_name: "clinc150", model_version: "1.0.0", id: "req-1" });
    const [probs, labels] = body.outputs;
    expect(probs).toMatchObject({ name: "probabilities", datatype: "FP32", shape: [3, 151] });
    expect(labels).toMatchObject({ name: "label", datatype: "BYTES", shape: [3] });
    expect(probs!.data).toHaveLength(3 * 151);
    const v1 = ClassifyResponse.parse(
      await (await classify({ texts, options: { teacher: "never" } })).json(),
    );
    const allLabels = ModelMetadata.parse(await (await call("/v2/models/clinc150")).json()).parameters.labels;
    texts.forEach((_, i) => {
      const row = (probs!.data as number[]).slice(i * 151, (i + 1) * 151);
      expect(row.reduce((s, p) => s + p, 0)).toBeCloseTo(1, 6);
      expect(labels!.data[i]).toBe(v1.results[i]!.student!.label);
      expect(row[allLabels.indexOf(String(labels!.data[i]))]).toBeCloseTo(
        v1.results[i]!.student!.confidence,
        9,
      );
    });
  });

  it("infer: [n, 1] shapes, a version path and a chosen output", async () => {
    const column = InferResponse.parse(
      await (await infer("sms-spam", bytes([["you have won"], ["see you later"]], [2, 1]))).json(),
    );
    expect(column.outputs.find((o) => o.name === "label")!.data).toEqual(["spam", "ham"]);
    const one = InferResponse.parse(
      await (
        await infer(
          "sms-spam",
          { ...bytes(["free prize"]), outputs: [{ name: "label" }] },
          "/v2/models/sms-spam/versions/1.0.0/infer",
        )
      ).json(),
    );
    expect(one.outputs.map((o) => o.name)).toEqual(["label"]);
  });

  it.each([
    ["no inputs", { inputs: [] }, 400],
    ["wrong input name", { inputs: [{ name: "txt", datatype: "BYTES", shape: [1], data: ["hi"] }] }, 400],
    ["wrong datatype", { inputs: [{ name: "text", datatype: "FP32", shape: [1], data: [1] }] }, 400],
    [
      "shape and data disagree",
      { inputs: [{ name: "text", datatype: "BYTES", shape: [2], data: ["hi"] }] },
      400,
    ],
    ["bad shape", { inputs: [{ name: "text", datatype: "BYTES", shape: [1, 2], data: ["a", "b"] }] }, 400],
    ["non-string element", { inputs: [{ name: "text", datatype: "BYTES", shape: [1], data: [5] }] }, 400],
    ["whitespace text", { inputs: [{ name: "text", datatype: "BYTES", shape: [1], data: ["  "] }] }, 400],
    [
      "too long text",
      { inputs: [{ name: "text", datatype: "BYTES", shape: [1], data: ["a".repeat(4001)] }] },
      400,
    ],
    [
      "too many texts",
      { inputs: [{ name: "text", datatype: "BYTES", shape: [65], data: Array(65).fill("a") }] },
      400,
    ],
    [
      "unknown output",
      {
        inputs: [{ name: "text", datatype: "BYTES", shape: [1], data: ["a"] }],
        outputs: [{ name: "logits" }],
      },
      400,
    ],
    ["not an object", [1, 2], 400],
  ])("infer rejects %s", async (_name, body, status) => {
    await expectV2Error(await infer("clinc150", body), status);
  });

  it("infer: unknown model 404, non-JSON 415/400, oversize 413", async () => {
    await expectV2Error(await infer("nope", bytes(["hi"])), 404, "model_not_found");
    const plain = { method: "POST", body: "hi", headers: { "content-type": "text/plain" } };
    await expectV2Error(await call("/v2/models/clinc150/infer", plain), 415);
    // No Content-Type at all is read as JSON (tritonclient sends none): these bytes are not JSON.
    const untyped = { method: "POST", body: new TextEncoder().encode("hi") };
    await expectV2Error(await call("/v2/models/clinc150/infer", untyped), 400, "invalid_json");
    await expectV2Error(await call("/v2/models/clinc150/infer", post("{")), 400, "invalid_json");
    await expectV2Error(await infer("clinc150", bytes(["a ".repeat(40_000)])), 413);
  });
});

describe("GET /openapi.json", () => {
  type Doc = {
    openapi: string;
    paths: Record<string, Record<string, { requestBody?: unknown; responses: Record<string, unknown> }>>;
    components: { schemas: Record<string, Record<string, unknown>> };
  };
  const getDoc = async (env = envWith()): Promise<Doc> => {
    const res = await call("/openapi.json", {}, env);
    expect(res.status).toBe(200);
    return (await res.json()) as Doc;
  };
  /** A validator for one component, resolving $refs inside the document. */
  const validatorFor = (doc: Doc, id: string) => componentValidator(doc, id);

  it("is an OpenAPI 3.1 document with every route and resolvable references", async () => {
    const doc = await getDoc();
    expect(doc.openapi).toBe("3.1.0");
    for (const path of [
      "/v1/classify",
      "/v1/models",
      "/v1/models/{name}",
      "/healthz",
      "/openapi.json",
      "/v2/health/live",
      "/v2/health/ready",
      "/v2/models/{name}",
      "/v2/models/{name}/infer",
    ])
      expect(doc.paths, path).toHaveProperty([path]);
    expect(doc.paths["/v1/classify"]!.post!.responses).toHaveProperty(["200"]);
    for (const status of ["400", "404", "413", "415", "500"])
      expect(doc.paths["/v1/classify"]!.post!.responses).toHaveProperty([status]);
    const refs = JSON.stringify(doc).match(/"\$ref":"[^"]+"/g) ?? [];
    expect(refs.length).toBeGreaterThan(10);
    for (const ref of refs) {
      const id = ref.match(/#\/components\/schemas\/([A-Za-z0-9]+)"/)?.[1];
      expect(id && doc.components.schemas[id], ref).toBeTruthy();
    }
    for (const schema of Object.values(doc.components.schemas)) {
      expect(schema.$schema).toBeUndefined();
      expect(schema.$id).toBeUndefined();
    }
  });

  it("publishes the request schema the gateway validates with, limits included", async () => {
    const doc = await getDoc(envWith({ MAX_BATCH: "5", MAX_TEXT_CHARS: "50", THRESHOLD_MAX: "0.7" }));
    const request = JSON.stringify(doc.components.schemas.ClassifyRequest);
    expect(request).toContain('"maxItems":5');
    expect(request).toContain('"maxLength":50');
    expect(JSON.stringify(doc.components.schemas.ClassifyOptions)).toContain('"maximum":0.7');
    const v = validatorFor(await getDoc(), "ClassifyRequest");
    const valid = [
      { text: "hi" },
      { model: "sms-spam", texts: ["a", "b"], options: { threshold: 0.5, teacher: "always", explain: true } },
    ];
    const invalid = [
      {},
      { text: "" },
      { text: "  " },
      { text: "a", texts: ["b"] },
      { texts: [] },
      { text: "a", extra: 1 },
      { text: "a", options: { threshold: 2 } },
      { text: "a".repeat(4001) },
    ];
    for (const body of valid) expect(v.validate(body).valid, JSON.stringify(body)).toBe(true);
    for (const body of invalid) expect(v.validate(body).valid, JSON.stringify(body)).toBe(false);
  });

  it("describes the answers the gateway actually gives", async () => {
    const doc = await getDoc();
    const res = await classify({
      texts: ["what is my credit score", "asdf qwer"],
      options: { explain: true, teacher: "always" },
    });
    expect(validatorFor(doc, "ClassifyResponse").validate(await res.json()).valid).toBe(true);
    const error = await classify({ text: "" });
    expect(validatorFor(doc, "Error").validate(await error.json()).valid).toBe(true);
    const models = await call("/v1/models");
    expect(validatorFor(doc, "ModelList").validate(await models.json()).valid).toBe(true);
    const inferRes = await call(
      "/v2/models/sms-spam/infer",
      post({ inputs: [{ name: "text", datatype: "BYTES", shape: [1], data: ["hi"] }] }),
    );
    expect(validatorFor(doc, "InferResponse").validate(await inferRes.json()).valid).toBe(true);
    // The response schemas are strict: an answer with a field the contract lacks would not validate.
    const extra = { model: "m", version: "1", results: [], debug: true };
    expect(validatorFor(doc, "ClassifyResponse").validate(extra).valid).toBe(false);
  });
});

describe("the Worker entry (src/gateway/index.ts) under workerd", () => {
  // `exports` is typed by `wrangler types`, which this project does not generate.
  const worker = (exports as unknown as { default: { fetch(request: Request): Promise<Response> } }).default;

  it("serves the app through the default export", async () => {
    const health = await worker.fetch(new Request("http://gateway/healthz"));
    expect(health.status).toBe(200);
    expect(health.headers.get("x-request-id")).toBeTruthy();
    expect(HealthResponse.parse(await health.json()).status).toBe("ok");
    const res = await worker.fetch(
      new Request(
        "http://gateway/v1/classify",
        post({ text: "what is my credit score", options: { teacher: "never" } }),
      ),
    );
    expect(ClassifyResponse.parse(await res.json()).results[0]!.label).toBe("credit_score");
    const missing = await worker.fetch(new Request("http://gateway/nope"));
    expect(missing.status).toBe(404);
    expect(parseConfig({}).defaultModel).toBe("clinc150");
  });
});
