import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { parseJsonl } from "./jsonl.ts";
import { fixture } from "./testing.ts";

describe("parseJsonl", () => {
  it("reads the fixture, ignoring blank lines and extra keys", () => {
    const file = fixture("tiny.jsonl");
    expect(parseJsonl(readFileSync(file, "utf8"), file)).toEqual([
      { text: "great product, works well", label: "positive" },
      { text: "broke after a day", label: "negative" },
      { text: "love it", label: "positive" },
      { text: "waste of money", label: "negative" },
    ]);
  });

  it.each([
    ['{"text": "a", "label": "x"}\n\n{"text": "b", "label": x}\n', /^d\.jsonl:3: bad JSON/],
    ['{"text": "a", "label": "x"}\n{"label": "x"}\n', /^d\.jsonl:2: missing field "text"$/],
    ['{"text": "a", "label": 3}\n', /^d\.jsonl:1: field "label" must be a string$/],
    ['["a", "x"]\n', /^d\.jsonl:1: expected a JSON object$/],
    ['{"text": "  ", "label": "x"}\n', /^d\.jsonl:1: empty text$/],
    ["\n\n", /^d\.jsonl: no examples$/],
  ])("rejects %j", (content, message) => {
    expect(() => parseJsonl(content, "d.jsonl")).toThrow(message);
  });
});
