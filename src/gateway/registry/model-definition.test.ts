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

  it("quotes the first five labels missing or extra and counts the rest", () => {
    const six = ["a", "b", "c", "d", "e", "f"];
    expect(labelDifference(["x", "y"], ["x", "y", ...six])).toBe('extra "a", "b", "c", "d", "e", and 1 more');
    expect(labelDifference(["x", ...six, "g", "h"], ["x", "y"])).toBe(
      'missing "a", "b", "c", "d", "e", and 3 more; extra "y"',
    );
    expect(labelDifference(["x", "y"], ["x", "y", ...six.slice(0, 5)])).toBe('extra "a", "b", "c", "d", "e"');
  });

  it("names the first label out of place, in the model's words", () => {
    expect(labelDifference(["a", "b", "c"], ["a", "c", "b"])).toBe(
      'label 1 is "c", the model\'s is "b" (same labels, another order)',
    );
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

  it("says which field a protocol needs, and trims every trailing slash", () => {
    const issues = (input: unknown) =>
      TeacherSpec.safeParse(input).error?.issues.map(({ path, message }) => ({ path, message }));
    expect(issues({ protocol: "kserve-v2" })).toEqual([{ path: ["url"], message: "kserve-v2 needs a url" }]);
    expect(issues({ protocol: "openai", model: "gpt" })).toEqual([
      { path: ["url"], message: "openai needs a url" },
    ]);
    expect(issues({ protocol: "workers-ai" })).toEqual([
      { path: ["model"], message: "workers-ai needs a model" },
    ]);
    expect(issues({ protocol: "workers-ai", url: "https://x.example" })).toEqual([
      { path: ["model"], message: "workers-ai needs a model" },
    ]);
    expect(TeacherSpec.parse({ protocol: "openai", url: "https://x.example/v1//" }).url).toBe(
      "https://x.example/v1",
    );
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

  it("names the duplicate and the stray out-of-scope label where they are; without one, none is needed", () => {
    const issues = (input: unknown) =>
      ModelDefinitionInput.safeParse(input).error?.issues.map(({ path, message }) => ({ path, message }));
    expect(issues({ labels: ["a", "b", "a"] })).toEqual([
      { path: ["labels", 2], message: 'duplicate label "a"' },
    ]);
    expect(issues({ labels: ["a", "b"], outOfScopeLabel: "c" })).toEqual([
      { path: ["outOfScopeLabel"], message: 'outOfScopeLabel "c" is not one of the labels' },
    ]);
    expect(issues({ labels: ["a", "b"] })).toBeUndefined();
    expect(issues({ labels: ["a", "b"], outOfScopeLabel: null })).toBeUndefined();
  });
});
