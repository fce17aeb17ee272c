import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  chatRequest,
  getJson,
  type JsonReply,
  postJson,
  startTinyServer,
  type TinyServer,
  v2Request,
} from "./test-helpers.ts";

/** Every 4xx the teacher gives, in the error shape of the surface that was called. */
let t: TinyServer;
let url: string;
beforeAll(async () => {
  t = await startTinyServer({ maxBatch: 8, maxBodyBytes: 64 * 1024 });
  url = t.server.url;
});
afterAll(async () => {
  await t.stop();
});

function expectV2Error(res: JsonReply, status: number, message: RegExp): void {
  expect(res.status).toBe(status);
  expect(res.headers.get("content-type")).toMatch(/^application\/json/);
  expect(Object.keys(res.body as object)).toEqual(["error"]);
  expect((res.body as { error: string }).error).toMatch(message);
}

function expectOpenAIError(res: JsonReply, status: number, param: string | null, code?: string): void {
  expect(res.status).toBe(status);
  const { error } = res.body as { error: Record<string, unknown> };
  expect(Object.keys(error).sort()).toEqual(["code", "message", "param", "type"]);
  expect(error.type).toBe("invalid_request_error");
  expect(error.message).toEqual(expect.any(String));
  expect(error.param).toBe(param);
  if (code) expect(error.code).toBe(code);
}

const input = (over: Record<string, unknown>) => ({
  inputs: [{ name: "text", datatype: "BYTES", shape: [1], data: ["hello"], ...over }],
});

describe("KServe V2 errors", () => {
  const infer = () => `${url}/v2/models/tiny/infer`;

  it.each([
    ["bad JSON", "{not json", /not valid JSON/],
    ["no inputs", { inputs: [] }, /inputs/],
    ["inputs of the wrong type", { inputs: "hello" }, /inputs/],
    ["wrong datatype", input({ datatype: "FP32" }), /datatype BYTES, got FP32/],
    ["wrong shape", input({ shape: [1, 2] }), /shape \[n\]/],
    ["shape and data disagree", input({ shape: [2] }), /shape \[2\] but 1 values/],
    ["zero texts", input({ shape: [0], data: [] }), /no texts/],
    ["non-string element", input({ data: [42] }), /must be strings/],
    ["empty text", input({ data: [""] }), /empty/],
    ["whitespace-only text", v2Request(["ok", "  \n\t"]), /data\.1: text is empty/],
    [
      "unknown input",
      { inputs: [{ name: "image", datatype: "BYTES", shape: [1], data: ["x"] }] },
      /unknown input/,
    ],
    ["unknown output", v2Request(["hi"], { outputs: [{ name: "logits" }] }), /unknown output "logits"/],
    ["too many texts", v2Request(Array.from({ length: 9 }, () => "hi")), /at most 8 texts/],
  ])("400 for %s", async (_, body, message) => {
    expectV2Error(await postJson(infer(), body), 400, message);
  });

  it("404 for an unknown model or version, on every model route", async () => {
    expectV2Error(
      await postJson(`${url}/v2/models/nope/infer`, v2Request(["hi"])),
      404,
      /"nope" is not served/,
    );
    expectV2Error(await getJson(`${url}/v2/models/nope`), 404, /not served/);
    expectV2Error(await getJson(`${url}/v2/models/nope/ready`), 404, /not served/);
    const versioned = await postJson(`${url}/v2/models/tiny/versions/9/infer`, v2Request(["hi"]));
    expectV2Error(versioned, 404, /no version "9" \(served: 1\.0\.0\)/);
  });

  it("404 for an unknown route, 405 with Allow for a wrong method", async () => {
    expectV2Error(await getJson(`${url}/v2/nothing/here`), 404, /no route for GET/);
    expectV2Error(await getJson(`${url}/`), 404, /no route/);
    const wrong = await getJson(infer());
    expectV2Error(wrong, 405, /GET is not allowed/);
    expect(wrong.headers.get("allow")).toBe("POST, OPTIONS");
    const del = await getJson(`${url}/v2/health/live`, { method: "DELETE" });
    expectV2Error(del, 405, /DELETE/);
    expect(del.headers.get("allow")).toBe("GET, HEAD, OPTIONS");
  });

  it("415 for a body that is not declared as JSON", async () => {
    const body = JSON.stringify(v2Request(["hi"]));
    expectV2Error(await postJson(infer(), body, "text/plain"), 415, /application\/json/);
    expectV2Error(await postJson(infer(), body, ""), 415, /application\/json/);
    // Parameters on the media type are fine.
    expect((await postJson(infer(), body, "application/json; charset=utf-8")).status).toBe(200);
  });

  it("413 for a body over the cap, and the server keeps serving", async () => {
    const big = v2Request(["x".repeat(100 * 1024)]);
    expectV2Error(await postJson(infer(), big), 413, /larger than 65536 bytes/);
    expect((await postJson(infer(), v2Request(["hi"]))).status).toBe(200);
  });

  it("400 for a malformed path escape", async () => {
    expectV2Error(await getJson(`${url}/v2/models/%E0%A4%A/ready`), 400, /percent-encoding/);
  });
});

describe("OpenAI errors", () => {
  const chat = () => `${url}/v1/chat/completions`;

  it.each([
    ["missing model", { messages: [{ role: "user", content: "hi" }] }, "model"],
    ["no messages", { model: "tiny", messages: [] }, "messages"],
    ["bad role", { model: "tiny", messages: [{ role: "robot", content: "hi" }] }, "messages.0.role"],
    ["no user message", { model: "tiny", messages: [{ role: "system", content: "hi" }] }, "messages"],
    ["empty text after Text:", chatRequest("tiny", "Classify this.\nText:   "), "messages"],
    ["empty content", chatRequest("tiny", ""), "messages"],
    ["top_logprobs without logprobs", chatRequest("tiny", "hi", { top_logprobs: 2 }), "top_logprobs"],
    [
      "top_logprobs out of range",
      chatRequest("tiny", "hi", { logprobs: true, top_logprobs: 21 }),
      "top_logprobs",
    ],
    ["n = 0", chatRequest("tiny", "hi", { n: 0 }), "n"],
    ["n over OpenAI's 128", chatRequest("tiny", "hi", { n: 129 }), "n"],
    ["stream not a boolean", chatRequest("tiny", "hi", { stream: "yes" }), "stream"],
    [
      "stream_options without stream",
      chatRequest("tiny", "hi", { stream_options: { include_usage: true } }),
      "stream_options",
    ],
    [
      "unknown response_format",
      chatRequest("tiny", "hi", { response_format: { type: "xml" } }),
      "response_format.type",
    ],
    [
      "json_schema without a name",
      chatRequest("tiny", "hi", { response_format: { type: "json_schema", json_schema: {} } }),
      "response_format.json_schema.name",
    ],
  ])("400 for %s", async (_, body, param) => {
    expectOpenAIError(await postJson(chat(), body), 400, param);
  });

  const schema = (schema: Record<string, unknown>) => ({
    response_format: { type: "json_schema", json_schema: { name: "answer", schema } },
  });
  const property = (p: Record<string, unknown>) => schema({ type: "object", properties: { category: p } });
  it.each([
    ["an array schema", schema({ type: "array", items: { type: "string" } }), /type is "array"/],
    [
      "two properties",
      schema({ type: "object", properties: { a: { type: "string" }, b: { type: "string" } } }),
      /2 properties/,
    ],
    [
      "an object that allows no property",
      schema({ type: "object", properties: {}, additionalProperties: false }),
      /0 properties/,
    ],
    [
      "a required field that is not the property",
      schema({ type: "object", properties: { a: { type: "string" } }, required: ["a", "b"] }),
      /requires "b"/,
    ],
    ["a number property", property({ type: "number" }), /"category" has type "number"/],
    ["an untyped property", property({}), /neither type "string" nor an enum/],
    ["an enum with no label of the model", property({ enum: ["cat", "dog"] }), /no value of the enum/],
  ])("400 naming why for a json_schema it cannot answer: %s", async (_, format, why) => {
    const res = await postJson(chat(), chatRequest("tiny", "hi", format));
    expectOpenAIError(res, 400, "response_format.json_schema.schema", "unsupported_schema");
    expect((res.body as { error: { message: string } }).error.message).toMatch(why);
  });

  it("400 for bad JSON, 404 for an unknown model", async () => {
    expectOpenAIError(await postJson(chat(), "[1,"), 400, null, "invalid_json");
    expectOpenAIError(await postJson(chat(), chatRequest("gpt-9", "hi")), 404, "model", "model_not_found");
    expectOpenAIError(await getJson(`${url}/v1/models/gpt-9`), 404, "model", "model_not_found");
  });

  it("413, 415, 404 and 405 in the OpenAI shape under /v1", async () => {
    expectOpenAIError(
      await postJson(chat(), chatRequest("tiny", "y".repeat(70 * 1024))),
      413,
      null,
      "payload_too_large",
    );
    expectOpenAIError(await postJson(chat(), "{}", "text/plain"), 415, null, "unsupported_media_type");
    expectOpenAIError(await getJson(`${url}/v1/completions`), 404, null, "not_found");
    expectOpenAIError(await getJson(chat()), 405, null, "method_not_allowed");
  });
});
