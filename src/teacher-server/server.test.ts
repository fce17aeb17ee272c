import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { featurize } from "../core/featurizer.ts";
import type { TokenLogprob } from "../core/openai-chat.ts";
import { softmax } from "../core/softmax.ts";
import { onnxLogits } from "../distill/package/onnx-node.ts";
import {
  chatRequest,
  getJson,
  postJson,
  startTinyServer,
  type TinyServer,
  v2Request,
} from "./test-helpers.ts";

interface V2Output {
  name: string;
  datatype: string;
  shape: number[];
  data: (number | string)[];
}
interface V2Response {
  model_name: string;
  model_version: string;
  id?: string;
  outputs: V2Output[];
}
interface Completion {
  object: string;
  model: string;
  choices: { message: { role: string; content: string }; logprobs: { content: TokenLogprob[] } | null }[];
  usage: { prompt_tokens: number; completion_tokens: number; total_tokens: number };
}

const TEXTS = [
  "Please refund my invoice",
  "hello, good morning",
  "will it snow or rain?",
  "nothing in particular",
  "é",
];

let t: TinyServer;
beforeAll(async () => {
  t = await startTinyServer();
});
afterAll(async () => {
  await t.stop();
});

async function infer(model: string, texts: string[]): Promise<V2Response> {
  const res = await postJson(`${t.server.url}/v2/models/${model}/infer`, v2Request(texts));
  expect(res.status).toBe(200);
  return res.body as V2Response;
}

describe("KServe V2 health and metadata", () => {
  it("is live and ready", async () => {
    expect(await getJson(`${t.server.url}/v2/health/live`)).toMatchObject({
      status: 200,
      body: { live: true },
    });
    expect(await getJson(`${t.server.url}/v2/health/ready`)).toMatchObject({
      status: 200,
      body: { ready: true },
    });
    for (const path of ["/v2/models/ens/ready", "/v2/models/ens/versions/2.1.0/ready"]) {
      expect(await getJson(`${t.server.url}${path}`)).toMatchObject({
        status: 200,
        body: { name: "ens", ready: true },
      });
    }
  });

  it("describes the server and each model, with the label list", async () => {
    const server = await getJson(`${t.server.url}/v2`);
    expect(server.body).toEqual({ name: "apprentice-teacher", version: expect.any(String), extensions: [] });
    const expected = {
      name: "ens",
      versions: ["2.1.0"],
      platform: "onnx_onnxv1",
      inputs: [{ name: "text", datatype: "BYTES", shape: [-1] }],
      outputs: [
        { name: "probabilities", datatype: "FP32", shape: [-1, 3] },
        { name: "label", datatype: "BYTES", shape: [-1] },
      ],
      parameters: { task: "text-classification", labels: ["billing", "greeting", "weather"] },
    };
    expect((await getJson(`${t.server.url}/v2/models/ens`)).body).toEqual(expected);
    expect((await getJson(`${t.server.url}/v2/models/ens/versions/2.1.0`)).body).toEqual(expected);
    expect(t.server.models).toEqual(["tiny", "ens"]);
  });
});

describe("KServe V2 inference", () => {
  it.each(["tiny", "ens"])(
    "%s: probabilities sum to 1 and equal onnxruntime-node's own answer",
    async (name) => {
      const pkg = t.packages.find((p) => p.manifest.name === name)!;
      const res = await infer(name, TEXTS);
      expect(res.model_name).toBe(name);
      expect(res.model_version).toBe(pkg.manifest.version);
      expect(res.id).toBeUndefined();
      const [probs, labels] = res.outputs;
      expect(probs).toMatchObject({ name: "probabilities", datatype: "FP32", shape: [TEXTS.length, 3] });
      expect(labels).toMatchObject({ name: "label", datatype: "BYTES", shape: [TEXTS.length] });

      const bags = TEXTS.map((text) => featurize(text, pkg.manifest.featurizer));
      const direct = await onnxLogits(pkg.onnx, pkg.manifest.onnx, bags);
      TEXTS.forEach((_, i) => {
        const row = probs!.data.slice(i * 3, i * 3 + 3) as number[];
        expect(row.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 9);
        const want = new Float64Array(3);
        softmax(direct[i]!, want);
        row.forEach((p, c) => {
          expect(p).toBeCloseTo(want[c]!, 9);
        });
        const best = row.indexOf(Math.max(...row));
        expect(labels!.data[i]).toBe(pkg.manifest.labels[best]);
      });
      // The tiny teacher is built so its keywords decide the answer.
      expect(labels!.data.slice(0, 3)).toEqual(["billing", "greeting", "weather"]);
    },
  );

  it("echoes the id, honours requested outputs and the versioned path", async () => {
    const body = v2Request(["rain"], { id: "req-7", outputs: [{ name: "label" }] });
    const res = await postJson(`${t.server.url}/v2/models/ens/versions/2.1.0/infer`, body);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      model_name: "ens",
      model_version: "2.1.0",
      id: "req-7",
      outputs: [{ name: "label", datatype: "BYTES", shape: [1], data: ["weather"] }],
    });
  });

  it("accepts shape [n, 1] with nested data", async () => {
    const body = {
      inputs: [{ name: "text", datatype: "BYTES", shape: [2, 1], data: [["refund"], ["hello"]] }],
    };
    const res = await postJson(`${t.server.url}/v2/models/tiny/infer`, body);
    expect(res.status).toBe(200);
    expect((res.body as V2Response).outputs[1]!.data).toEqual(["billing", "greeting"]);
  });
});

describe("OpenAI chat completions", () => {
  it("answers the JSON label with logprobs that match the V2 probability", async () => {
    const text = "will it rain tomorrow";
    const v2 = await infer("ens", [text, "nothing in particular"]);
    const res = await postJson(
      `${t.server.url}/v1/chat/completions`,
      chatRequest("ens", `Classify the text into one of: billing, greeting, weather.\nText: ${text}`, {
        logprobs: true,
        top_logprobs: 5,
        response_format: { type: "json_schema", json_schema: { name: "label", schema: { type: "object" } } },
      }),
    );
    expect(res.status).toBe(200);
    const completion = res.body as Completion;
    expect(completion).toMatchObject({ object: "chat.completion", model: "ens" });
    const { message, logprobs } = completion.choices[0]!;
    expect(message.role).toBe("assistant");
    const answer = JSON.parse(message.content) as { label: string };
    expect(answer).toEqual({ label: v2.outputs[1]!.data[0] });

    const tokens = logprobs!.content;
    expect(tokens.map((tk) => tk.token).join("")).toBe(message.content);
    const labelToken = tokens[1]!;
    expect(labelToken.token).toBe(answer.label);
    const index = ["billing", "greeting", "weather"].indexOf(answer.label);
    expect(labelToken.logprob).toBeCloseTo(Math.log(v2.outputs[0]!.data[index] as number), 9);
    // top_logprobs: all three labels (5 asked, 3 exist), most probable first, the answer among them.
    expect(labelToken.top_logprobs.map((a) => a.token)[0]).toBe(answer.label);
    expect(labelToken.top_logprobs).toHaveLength(3);
    const alt = labelToken.top_logprobs.map((a) => Math.exp(a.logprob));
    expect(alt.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 9);
    expect([...alt].sort((a, b) => b - a)).toEqual(alt);
    expect(completion.usage.total_tokens).toBe(completion.usage.prompt_tokens + 3);
  });

  it("takes the whole last user message without a Text: line, content parts too, logprobs off", async () => {
    const body = {
      model: "tiny",
      messages: [
        { role: "system", content: "You classify." },
        { role: "user", content: "hello" },
        { role: "assistant", content: '{"label":"greeting"}' },
        { role: "user", content: [{ type: "text", text: "I want a refund" }] },
      ],
    };
    const res = await postJson(`${t.server.url}/v1/chat/completions`, body);
    expect(res.status).toBe(200);
    const completion = res.body as Completion;
    expect(completion.choices[0]!.message.content).toBe('{"label":"billing"}');
    expect(completion.choices[0]!.logprobs).toBeNull();
  });

  it("lists models in the OpenAI format", async () => {
    const list = await getJson(`${t.server.url}/v1/models`);
    expect(list.body).toEqual({
      object: "list",
      data: ["tiny", "ens"].map((id) => ({
        id,
        object: "model",
        created: expect.any(Number),
        owned_by: "apprentice",
      })),
    });
    expect((await getJson(`${t.server.url}/v1/models/ens`)).body).toMatchObject({
      id: "ens",
      object: "model",
    });
  });
});
