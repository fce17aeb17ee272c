import { describe, expect, it } from "vitest";
import {
  ANSWER_PREFIX,
  ANSWER_SUFFIX,
  answerContent,
  answerIndex,
  answerLogprobs,
  MIN_LOGPROB,
  messageText,
  textToClassify,
} from "../core/openai-answer.ts";
import type { Prediction } from "./model.ts";
import { answerFormat } from "./openai-format.ts";

function prediction(labels: string[], probs: number[]): Prediction {
  const index = probs.indexOf(Math.max(...probs));
  return {
    index,
    label: labels[index]!,
    probs: Float64Array.from(probs),
    logprobs: Float64Array.from(probs, (p) => Math.log(p)),
  };
}

describe("prompt convention", () => {
  it("takes what follows the first `Text:` line marker, to the end of the message", () => {
    expect(textToClassify("Classify.\nText: will it rain?")).toBe("will it rain?");
    expect(textToClassify("Labels: a, b\n  text:\nline one\nline two\n")).toBe("line one\nline two");
    expect(textToClassify("Text: first\nText: second")).toBe("first\nText: second");
    // "Text:" inside a line is not the marker.
    expect(textToClassify("Context: hi")).toBe("Context: hi");
    expect(textToClassify("  just the text  ")).toBe("just the text");
  });

  it("joins text content parts and ignores other parts", () => {
    const content = [
      { type: "text", text: "a" },
      { type: "image_url", image_url: { url: "x" } },
      { type: "text", text: "b" },
    ];
    expect(messageText({ role: "user", content })).toBe("a\nb");
    expect(messageText({ role: "user", content: null })).toBe("");
  });
});

describe("answer logprobs", () => {
  const labels = ["ham", "spam", 'say "hi"'];

  it("splits the JSON answer into three tokens that concatenate to it", () => {
    for (const probs of [
      [0.7, 0.2, 0.1],
      [0.1, 0.1, 0.8],
    ]) {
      const p = prediction(labels, probs);
      const tokens = answerLogprobs(p, labels, 2);
      expect(tokens.map((t) => t.token).join("")).toBe(answerContent(p.label));
      expect(JSON.parse(answerContent(p.label))).toEqual({ label: p.label });
      expect(tokens[0]).toMatchObject({ token: ANSWER_PREFIX, logprob: 0 });
      expect(tokens[2]).toMatchObject({ token: ANSWER_SUFFIX, logprob: 0 });
      expect(tokens[1]!.logprob).toBe(Math.log(Math.max(...probs)));
      expect(tokens[1]!.bytes).toEqual(Array.from(new TextEncoder().encode(tokens[1]!.token)));
    }
    // A label with quotes appears escaped, exactly as inside the JSON string.
    expect(answerLogprobs(prediction(labels, [0.1, 0.1, 0.8]), labels, 0)[1]!.token).toBe('say \\"hi\\"');
  });

  it("lists the top labels, most probable first, only when asked", () => {
    const p = prediction(labels, [0.2, 0.5, 0.3]);
    expect(answerLogprobs(p, labels, null).every((t) => t.top_logprobs.length === 0)).toBe(true);
    const top = answerLogprobs(p, labels, 2)[1]!.top_logprobs;
    expect(top.map((t) => t.token)).toEqual(["spam", 'say \\"hi\\"']);
    expect(answerLogprobs(p, labels, 20)[1]!.top_logprobs).toHaveLength(3);
  });

  it("floors log-probs of probabilities that underflowed to zero", () => {
    const p: Prediction = {
      index: 0,
      label: "ham",
      probs: Float64Array.from([1, 0, 0]),
      logprobs: Float64Array.from([0, Number.NEGATIVE_INFINITY, -12345]),
    };
    const top = answerLogprobs(p, labels, 3)[1]!.top_logprobs;
    expect(top.map((t) => t.logprob)).toEqual([0, MIN_LOGPROB, MIN_LOGPROB]);
    expect(JSON.parse(JSON.stringify(top))).toEqual(top);
  });
});

describe("answer formats (response_format)", () => {
  const labels = ["ham", "spam", 'say "hi"'];
  const model = { name: "m", labels };
  const schemaFormat = (schema: Record<string, unknown>) =>
    answerFormat(
      {
        model: "m",
        messages: [],
        response_format: { type: "json_schema", json_schema: { name: "x", schema } },
      },
      model,
    );

  it("text: the bare label, unescaped, as one token", () => {
    const format = answerFormat({ model: "m", messages: [], response_format: { type: "text" } }, model);
    const p = prediction(labels, [0.1, 0.1, 0.8]);
    expect(answerContent(p.label, format)).toBe('say "hi"');
    expect(answerLogprobs(p, labels, 1, format).map((t) => t.token)).toEqual(['say "hi"']);
  });

  it("json_schema: the one property, and among an enum's labels the most probable", () => {
    const format = schemaFormat({
      type: "object",
      properties: { kind: { type: "string", enum: ["ham", 'say "hi"', "other"] } },
    });
    const p = prediction(labels, [0.3, 0.6, 0.1]);
    const index = answerIndex(p, labels, format);
    expect(labels[index]).toBe("ham");
    expect(JSON.parse(answerContent(labels[index]!, format))).toEqual({ kind: "ham" });
    const tokens = answerLogprobs(p, labels, 5, format);
    expect(tokens.map((t) => t.token).join("")).toBe(answerContent("ham", format));
    expect(tokens[1]!.logprob).toBe(Math.log(0.3));
    expect(tokens[1]!.top_logprobs.map((t) => t.token)).toEqual(["ham", 'say \\"hi\\"']);
  });
});
