import { describe, expect, it } from "vitest";
import { TINY_FEATURIZER } from "../fixture.ts";
import { AnswerBook } from "./answer-book.ts";
import { RECORDED_CONFIDENCE } from "./distribution.ts";
import { parseAnswers } from "./file.ts";

const MODEL = { name: "tiny", labels: ["billing", "greeting", "weather"], featurizer: TINY_FEATURIZER };

function book(content: string): AnswerBook {
  return AnswerBook.build(parseAnswers(content, "a.jsonl"), MODEL, "a.jsonl");
}

describe("AnswerBook.lookup", () => {
  const tsv = AnswerBook.build(
    parseAnswers("Will it rain in Paris?\tweather\nﬁle a refund\tbilling\n", "a.tsv"),
    MODEL,
    "a.tsv",
  );

  it.each([
    ["the same text", "Will it rain in Paris?"],
    ["another case", "WILL IT RAIN IN PARIS?"],
    ["other whitespace", "  will it\train \n in   paris? "],
    ["full-width letters (NFKC)", "Ｗｉｌｌ ｉｔ ｒａｉｎ ｉｎ Ｐａｒｉｓ？"],
  ])("finds a known text written with %s", (_, text) => {
    expect(tsv.lookup(text)?.label).toBe("weather");
  });

  it("matches a ligature to its letters, as the featuriser does", () => {
    expect(tsv.lookup("FILE A REFUND")?.label).toBe("billing");
  });

  it("has no answer for an unknown text, nor for a near miss", () => {
    expect(tsv.lookup("will it rain in london?")).toBeNull();
    expect(tsv.lookup("will it rain in paris")).toBeNull();
    expect(tsv.size).toBe(2);
  });

  it("gives an answer without probs the documented confident distribution", () => {
    const prediction = tsv.lookup("will it rain in paris?")!;
    expect(prediction.index).toBe(2);
    expect(Array.from(prediction.probs)).toEqual([
      (1 - RECORDED_CONFIDENCE) / 2,
      (1 - RECORDED_CONFIDENCE) / 2,
      RECORDED_CONFIDENCE,
    ]);
    expect(Array.from(prediction.logprobs)).toEqual(Array.from(prediction.probs, Math.log));
  });

  it("completes listed probs: unlisted labels share the rest evenly", () => {
    const b = book('{"text": "hi", "label": "greeting", "probs": {"greeting": 0.7, "billing": 0.2}}\n');
    const probs = Array.from(b.lookup("hi")!.probs);
    expect(probs[0]).toBeCloseTo(0.2, 12);
    expect(probs[1]).toBeCloseTo(0.7, 12);
    expect(probs[2]).toBeCloseTo(0.1, 12);
  });

  it("normalises a full distribution that sums to 1 within rounding", () => {
    const b = book(
      '{"text": "hi", "label": "greeting", "probs": {"greeting": 0.6, "billing": 0.2, "weather": 0.2004}}\n',
    );
    const probs = Array.from(b.lookup("hi")!.probs);
    expect(probs.reduce((x, y) => x + y, 0)).toBeCloseTo(1, 12);
  });

  it("accepts an answered label that ties for the most probable", () => {
    expect(book('{"text": "a", "label": "greeting", "probs": {"billing": 0.1}}\n').lookup("a")?.label).toBe(
      "greeting",
    );
  });

  it("accepts the same answer twice for one normalised text", () => {
    expect(book('{"text": "Hi", "label": "greeting"}\n{"text": "hi ", "label": "greeting"}\n').size).toBe(1);
  });
});

describe("AnswerBook.build rejects, naming the line", () => {
  it.each([
    [
      '{"text": "a", "label": "greeting"}\n{"text": "b", "label": "sports"}\n',
      /^a\.jsonl:2: unknown label "sports" \(model "tiny" has 3 labels: "billing", "greeting", "weather"\)$/,
    ],
    [
      '{"text": "a", "label": "greeting", "probs": {"sports": 0.1}}\n',
      /^a\.jsonl:1: probs: unknown label "sports"/,
    ],
    [
      '{"text": "a", "label": "greeting", "probs": {"greeting": 0.8, "billing": 0.3}}\n',
      /^a\.jsonl:1: probs: they sum to 1\.1, more than 1$/,
    ],
    [
      '{"text": "a", "label": "greeting", "probs": {"greeting": 0.5, "billing": 0.2, "weather": 0.1}}\n',
      /^a\.jsonl:1: probs: they list every label but sum to 0\.8, not 1$/,
    ],
    [
      '{"text": "a", "label": "greeting", "probs": {"greeting": 0.3, "billing": 0.6}}\n',
      /^a\.jsonl:1: probs: the answered label "greeting" \(p=0\.3\) must be the most probable, but "billing" has p=0\.6$/,
    ],
    [
      '{"text": "a", "label": "greeting", "probs": {"billing": 0.5}}\n',
      /^a\.jsonl:1: probs: the answered label "greeting" \(p=0\.25\) must be the most probable, but "billing" has p=0\.5$/,
    ],
    [
      '{"text": "Hi", "label": "greeting"}\n\n{"text": "HI", "label": "billing"}\n',
      /^a\.jsonl:3: this text is already answered differently on line 1/,
    ],
  ])("%j", (content, message) => {
    expect(() => book(content)).toThrow(message);
  });
});
