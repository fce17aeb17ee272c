import { describe, expect, inject, it } from "vitest";
import { createApp } from "../../src/gateway/app.ts";
import { componentValidator } from "../helpers/openapi.ts";
import { envWith, kserveTeacher, post } from "./gateway-helpers.ts";

/**
 * /openapi.json is exactly as strict as the gateway: each sample body is validated against the
 * document's InferRequest and sent to /v2/models/{name}/infer, and the two must agree (the document
 * accepts it ⇔ the gateway answers 200). The document once accepted the refused ones below.
 */
const app = createApp({ teacher: () => kserveTeacher(inject("teachers").healthy) });
const env = envWith();
const infer = (body: unknown) => app.request("/v2/models/sms-spam/infer", post(body), env);
const inferRequest = async () =>
  componentValidator(await (await app.request("/openapi.json", {}, env)).json(), "InferRequest");

const text = (fields: Record<string, unknown> = {}) => ({
  name: "text",
  datatype: "BYTES",
  shape: [1],
  data: ["free prize"],
  ...fields,
});

describe("InferRequest in /openapi.json agrees with the gateway", () => {
  it.each([
    ["one text", { inputs: [text()] }],
    ["a batch", { inputs: [text({ shape: [2], data: ["a", "b"] })] }],
    ["[n, 1], flat", { inputs: [text({ shape: [2, 1], data: ["a", "b"] })] }],
    ["[n, 1], nested", { inputs: [text({ shape: [2, 1], data: [["a"], ["b"]] })] }],
    [
      "id, parameters and outputs",
      {
        id: "r1",
        parameters: { p: 1 },
        inputs: [text({ parameters: { q: "x" } })],
        outputs: [{ name: "label" }],
      },
    ],
    ["MAX_BATCH texts", { inputs: [text({ shape: [64], data: Array(64).fill("a") })] }],
  ])("accepts %s, and so does the gateway", async (_name, body) => {
    expect((await inferRequest()).validate(body).valid).toBe(true);
    expect((await infer(body)).status).toBe(200);
  });

  it.each([
    ["no inputs", { inputs: [] }],
    ["two inputs", { inputs: [text(), text()] }],
    ["an input not named text", { inputs: [text({ name: "txt" })] }],
    ["a datatype other than BYTES", { inputs: [text({ datatype: "FP32", data: [1] })] }],
    ["shape [1, 2]", { inputs: [text({ shape: [1, 2], data: ["a", "b"] })] }],
    ["shape [0]", { inputs: [text({ shape: [0], data: [] })] }],
    ["a rank-3 shape", { inputs: [text({ shape: [1, 1, 1] })] }],
    ["a non-string element", { inputs: [text({ data: [5] })] }],
    ["nested data with shape [n]", { inputs: [text({ data: [["a"]] })] }],
    ["two texts in one row of [n, 1]", { inputs: [text({ shape: [1, 1], data: [["a", "b"]] })] }],
    ["a blank text", { inputs: [text({ data: ["  "] })] }],
    ["a text over MAX_TEXT_CHARS", { inputs: [text({ data: ["a".repeat(4001)] })] }],
    ["more than MAX_BATCH texts", { inputs: [text({ shape: [65], data: Array(65).fill("a") })] }],
    ["an unknown output", { inputs: [text()], outputs: [{ name: "logits" }] }],
    ["a non-scalar parameter", { inputs: [text()], parameters: { p: [1] } }],
  ])("refuses %s, and so does the gateway", async (_name, body) => {
    expect((await inferRequest()).validate(body).valid).toBe(false);
    expect((await infer(body)).status).toBe(400);
  });

  it("states the one rule JSON Schema cannot: data holds exactly shape[0] texts", async () => {
    const doc = (await (await app.request("/openapi.json", {}, env)).json()) as {
      components: { schemas: Record<string, { description?: string }> };
    };
    expect(doc.components.schemas.InferRequest?.description).toMatch(/exactly shape\[0\] texts/);
    expect((await infer({ inputs: [text({ shape: [2] })] })).status).toBe(400);
  });

  it("publishes this deployment's limits", async () => {
    const small = envWith({ MAX_BATCH: "3", MAX_TEXT_CHARS: "10" });
    const doc = await (await app.request("/openapi.json", {}, small)).json();
    const v = componentValidator(doc, "InferRequest");
    const four = { inputs: [text({ shape: [4], data: Array(4).fill("a") })] };
    const long = { inputs: [text({ data: ["a".repeat(11)] })] };
    for (const body of [four, long]) {
      expect(v.validate(body).valid).toBe(false);
      expect((await app.request("/v2/models/sms-spam/infer", post(body), small)).status).toBe(400);
    }
  });
});
