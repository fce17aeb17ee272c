import { describe, expect, it } from "vitest";
import { answerJsonLine, answersFormat, parseAnswers } from "./file.ts";

describe("parseAnswers: TSV", () => {
  it("reads text<TAB>label lines without a header, skipping blank lines, CRLF and a BOM", () => {
    const content = "\uFEFFwhat is my bill\tbilling\r\n\nhello there\tgreeting\r\n";
    expect(parseAnswers(content, "a.tsv")).toEqual([
      { line: 1, text: "what is my bill", label: "billing", probs: null },
      { line: 3, text: "hello there", label: "greeting", probs: null },
    ]);
  });

  it("takes the label after the last tab, so a text may hold tabs; trims the label", () => {
    expect(parseAnswers("col\tumn text\t billing \n", "a.tsv")).toEqual([
      { line: 1, text: "col\tumn text", label: "billing", probs: null },
    ]);
  });

  it.each([
    ["hello\tgreeting\njust a text\n", /^a\.tsv:2: expected text<TAB>label$/],
    ["   \tgreeting\n", /^a\.tsv:1: empty text$/],
    ["hello\t \n", /^a\.tsv:1: empty label$/],
    ["\n\n", /^a\.tsv: no answers$/],
  ])("rejects %j naming the line", (content, message) => {
    expect(() => parseAnswers(content, "a.tsv")).toThrow(message);
  });
});

describe("parseAnswers: JSONL", () => {
  it("reads text, label and optional probs; other keys are ignored", () => {
    const content = [
      '{"text": "refund please", "label": "billing", "probs": {"billing": 0.9, "weather": 0.05}}',
      "",
      '{"id": 7, "text": "hi", "label": "greeting"}',
    ].join("\n");
    expect(parseAnswers(content, "a.jsonl")).toEqual([
      { line: 1, text: "refund please", label: "billing", probs: { billing: 0.9, weather: 0.05 } },
      { line: 3, text: "hi", label: "greeting", probs: null },
    ]);
  });

  it.each([
    ['{"text": "a", "label": "x"}\n{"text": "b", "label": x}\n', /^a\.jsonl:2: bad JSON/],
    ['{"text": "a", "label": "x"}\n{"label": "x"}\n', /^a\.jsonl:2: missing field "text"$/],
    ['{"text": "a", "label": 3}\n', /^a\.jsonl:1: field "label" must be a string$/],
    ['{"text": "a", "label": "x", "probs": [0.5, 0.5]}\n', /^a\.jsonl:1: field "probs" must be an object/],
    [
      '{"text": "a", "label": "x", "probs": {"x": 1.5}}\n',
      /^a\.jsonl:1: probs\.x: probabilities must be at most 1$/,
    ],
    [
      '{"text": "a", "label": "x", "probs": {"x": -0.1}}\n',
      /^a\.jsonl:1: probs\.x: probabilities must be at least 0$/,
    ],
    [
      '{"text": "a", "label": "x", "probs": {"x": "high"}}\n',
      /^a\.jsonl:1: probs\.x: probabilities must be numbers$/,
    ],
    ['{"text": " ", "label": "x"}\n', /^a\.jsonl:1: empty text$/],
  ])("rejects %j naming the line", (content, message) => {
    expect(() => parseAnswers(content, "a.jsonl")).toThrow(message);
  });
});

describe("answersFormat", () => {
  it("is JSONL when the first non-blank line is a JSON object, else TSV", () => {
    expect(answersFormat('\n  {"text": "a", "label": "b"}\n')).toBe("jsonl");
    expect(answersFormat("a\tb\n")).toBe("tsv");
    // A TSV text may start with a brace; a broken JSON line without a tab is still JSONL.
    expect(answersFormat("{curly} text\tb\n")).toBe("tsv");
    expect(answersFormat('{"text": "a", label}\n')).toBe("jsonl");
    expect(() => parseAnswers('{"text": "a", label}\n', "a.jsonl")).toThrow(/^a\.jsonl:1: bad JSON/);
    expect(parseAnswers("{curly} text\tb\n", "a.tsv")).toEqual([
      { line: 1, text: "{curly} text", label: "b", probs: null },
    ]);
  });

  it("reads back what the synthesiser writes", () => {
    const line = { text: 'say "hi"\tnow', label: "greeting", probs: { greeting: 0.9, billing: 0.08 } };
    expect(parseAnswers(`${answerJsonLine(line)}\n`, "s.jsonl")).toEqual([{ line: 1, ...line }]);
  });
});
