import { describe, expect, it } from "vitest";
import { labelDifference, ModelDefinitionInput, TeacherSpec } from "./model-definition.ts";

/** The model definition's rules without a gateway (the routes are tested in test/workerd/label-set-models.test.ts). */
describe("labelDifference", () => {
  it("null when the labels and their order agree", () => {
    expect(labelDifference(["a", "b", "c"], ["a", "b", "c"])).toBeNull();
  });

  it("names missing and extra labels, then a change of order", () => {
    expect(labelDifference(["a", "b"], ["a", "c"])).toBe('missing "b"; extra "c"');
    expect(labelDifference(["a", "b"], ["b", "a"])).toMatch(/label 0 is "b", the model's is "a"/);
    expect(labelDifference(["a", "b"], ["a", "b", "b"])).toBe("3 labels for 2");
  });
});

describe("TeacherSpec", () => {
  it("trims a trailing slash from the URL and needs a URL except for workers-ai, which needs a model", () => {
    expect(TeacherSpec.parse({ protocol: "kserve-v2", url: "http://t.example/" }).url).toBe(
      "http://t.example",
    );
    expect(TeacherSpec.safeParse({ protocol: "kserve-v2" }).success).toBe(false);
    expect(TeacherSpec.safeParse({ protocol: "workers-ai", model: "@cf/meta/llama" }).success).toBe(true);
    expect(TeacherSpec.safeParse({ protocol: "workers-ai" }).success).toBe(false);
  });

  it("a secret is a name, never a key", () => {
    expect(
      TeacherSpec.safeParse({ protocol: "openai", url: "https://x.example", secret: "OPENAI_KEY" }).success,
    ).toBe(true);
    expect(
      TeacherSpec.safeParse({ protocol: "openai", url: "https://x.example", secret: "sk-abc" }).success,
    ).toBe(false);
  });
});

describe("ModelDefinitionInput", () => {
  it("refuses duplicate labels and an out-of-scope label outside the set", () => {
    expect(ModelDefinitionInput.safeParse({ labels: ["a", "a"] }).success).toBe(false);
    expect(ModelDefinitionInput.safeParse({ labels: ["a", "b"], outOfScopeLabel: "c" }).success).toBe(false);
    expect(ModelDefinitionInput.safeParse({ labels: ["a", "b"], outOfScopeLabel: "b" }).success).toBe(true);
  });
});
