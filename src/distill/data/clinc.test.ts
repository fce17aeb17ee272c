import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { parseClinc } from "./clinc.ts";
import { fixture } from "./testing.ts";

const rows = (r: [string, string][]) => JSON.stringify(r);

describe("parseClinc", () => {
  it("joins oos rows to their split with the label oos", () => {
    const file = fixture("tiny-clinc.json");
    const splits = parseClinc(readFileSync(file, "utf8"), file);
    expect(splits.train).toHaveLength(7);
    expect(splits.val).toHaveLength(3);
    expect(splits.test).toHaveLength(4);
    expect(splits.train.at(-1)).toEqual({ text: "how tall is everest", label: "oos" });
  });

  it("accepts a subset of the keys, reporting the missing splits as null", () => {
    const splits = parseClinc(`{"train": ${rows([["hi", "greet"]])}}`, "c.json");
    expect(splits).toEqual({ train: [{ text: "hi", label: "greet" }], val: null, test: null });
  });

  it.each([
    ['{\n  "train": [\n    ["a", "x"],,\n  ]\n}', /^c\.json:3: bad JSON: /],
    ['{\n  "train": [["a", "x"]],\n  "extra": []\n}', /^c\.json:3: unknown key "extra"/],
    ['{\n  "val": [["a", "x"]]\n}', /^c\.json: missing key "train"$/],
    ['{\n  "train": {"a": "x"}\n}', /^c\.json:2: "train" must be an array of \[text, label\] rows$/],
    [
      '{\n  "train": [\n    ["a", "x"],\n    ["b", 2]\n  ]\n}',
      /^c\.json:4: train\[1\]: expected a \[text, label\] row/,
    ],
    [
      '{\n  "train": [\n    ["a", "x"],\n    ["b"]\n  ]\n}',
      /^c\.json:4: train\[1\]: expected a \[text, label\] row/,
    ],
    ['{\n  "train": [\n    ["a", "x"],\n    [" ", "x"]\n  ]\n}', /^c\.json:4: train\[1\]: empty text$/],
    [
      '{\n  "train": [["a", "x"]],\n  "oos_train": [\n    ["b", "x"]\n  ]\n}',
      /^c\.json:4: oos_train\[0\]: label must be "oos"/,
    ],
    ['{\n  "train": [["a", "x"]],\n  "oos_val": [["b", "oos"]]\n}', /^c\.json:3: "oos_val" without "val"$/],
    ['{"train": []}', /^c\.json:1: "train" is empty$/],
    ["[]", /^c\.json:1: expected a JSON object/],
  ])("rejects %j naming the file and line", (content, message) => {
    expect(() => parseClinc(content, "c.json")).toThrow(message);
  });
});
