import { describe, expect, it } from "vitest";
import { textToClassify } from "../../core/openai-answer.ts";
import { labelMessages, labelSchema } from "./label-prompt.ts";

/**
 * What the LLM adapters (openai, workers-ai) ask: a schema OpenAI's strict mode accepts (every property
 * required, no others), limited to the label set, and a prompt whose `Text:` line the local teacher's
 * convention (src/core/openai-answer.ts) reads back as exactly the text. The wording around it is not a
 * promise.
 */
const LABELS = ["ham", "spam"];

describe("labelSchema", () => {
  it("is a strict JSON schema: one required label, one of the labels, nothing else", () => {
    expect(labelSchema(LABELS)).toEqual({
      type: "object",
      properties: { label: { type: "string", enum: ["ham", "spam"] } },
      required: ["label"],
      additionalProperties: false,
    });
  });

  it("holds a copy of the labels, not the caller's array", () => {
    const labels = ["a", "b"];
    const schema = labelSchema(labels);
    labels.push("c");
    expect(schema.properties.label.enum).toEqual(["a", "b"]);
  });
});

describe("labelMessages", () => {
  const text = "WINNER!! Claim your prize:\ncall 0800 now";
  // Built inside each test: Stryker's per-test coverage does not see code run at collection time.

  it("a system message names the JSON form and every label", () => {
    const [system] = labelMessages(LABELS, text);
    expect(system.role).toBe("system");
    expect(system.content).toContain('{"label": "<label>"}');
    expect(system.content).toContain('["ham","spam"]');
  });

  it("the user message ends with the Text: line, which the teacher's convention reads as the text", () => {
    const [, user] = labelMessages(LABELS, text);
    expect(user.role).toBe("user");
    expect(user.content.endsWith(`\nText: ${text}`)).toBe(true);
    expect(textToClassify(user.content)).toBe(text);
  });
});
