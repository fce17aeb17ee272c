import { describe, expect, it } from "vitest";
import { JsonSyntaxError, lineAt, locateJson } from "./json-locate.ts";

const doc = '{\n  "a": [\n    ["x", "y"],\n    ["z", 1]\n  ],\n  "b\\"q": {"c": null}\n}';

describe("locateJson", () => {
  it("finds the line of a value by path", () => {
    const line = (path: (string | number)[]) => lineAt(doc, locateJson(doc, path)!);
    expect(line([])).toBe(1);
    expect(line(["a"])).toBe(2);
    expect(line(["a", 1])).toBe(4);
    expect(line(["a", 1, 1])).toBe(4);
    expect(line(['b"q', "c"])).toBe(6);
    expect(locateJson(doc, ["a", 2])).toBeNull();
  });

  it.each([
    ['{\n  "a": [1,\n  2,,3]\n}', 3],
    ['{\n  "a": 1\n  "b": 2\n}', 3],
    ['{"a": "unterminated\n}', 1],
    ["[1, 2]\n\nx", 3],
    ['{"a": [1, 2]', 1],
  ])("reports the line of a syntax error in %j", (text, line) => {
    try {
      locateJson(text);
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(JsonSyntaxError);
      expect(lineAt(text, (error as JsonSyntaxError).offset)).toBe(line);
    }
  });

  it("accepts what JSON.parse accepts", () => {
    const text = JSON.stringify({ n: [-1.5e3, 0, true, false, null], s: 'é\u0001\\"\u2028', o: {} }, null, 2);
    expect(() => locateJson(text)).not.toThrow();
  });
});
