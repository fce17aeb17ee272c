import { describe, expect, it } from "vitest";
import { detectFormat, isSmsCollectionName } from "./detect.ts";

describe("detectFormat", () => {
  it.each([
    ["a/data_full.json", "", "clinc"],
    ["x.JSONL", "", "jsonl"],
    ["x.ndjson", "", "jsonl"],
    ["x.csv", "", "csv"],
    ["x.tsv", "", "tsv"],
    ["SMSSpamCollection", "ham\thi", "tsv"],
  ])("%s by its name", (file, content, format) => {
    expect(detectFormat(file, content)).toBe(format);
  });

  it.each([
    ['\n{"text": "a", "label": "b"}\n', "jsonl"],
    ['{\n  "train": []\n}', "clinc"],
    ["ham\thello\n", "tsv"],
    ["text,label\nhi,a\n", "csv"],
  ])("%j by its content", (content, format) => {
    expect(detectFormat("data.txt", content)).toBe(format);
  });
});

describe("isSmsCollectionName", () => {
  it("matches the distribution's names only", () => {
    expect(isSmsCollectionName("/x/SMSSpamCollection")).toBe(true);
    expect(isSmsCollectionName("datasets/sms-spam/SMSSpamCollection.tsv")).toBe(true);
    expect(isSmsCollectionName("SMSSpamCollection/other.tsv")).toBe(false);
  });
});
