import { describe, expect, it } from "vitest";
import { parseCsv, parseTsv } from "./delimited.ts";
import { examplesFromRecords } from "./table.ts";

const csv = (text: string) => parseCsv(text, "t.csv");

describe("examplesFromRecords", () => {
  it("finds columns by header name", () => {
    const records = csv("id,label,text\n1,a,hello\n2,b,bye\n");
    expect(examplesFromRecords(records, "t.csv", { textCol: "text", labelCol: "label" })).toEqual([
      { text: "hello", label: "a" },
      { text: "bye", label: "b" },
    ]);
  });

  it("finds columns by index, with no header by default", () => {
    const records = parseTsv("a\thello\nb\tbye\n", "t.tsv");
    expect(examplesFromRecords(records, "t.tsv", { textCol: "1", labelCol: "0" })).toHaveLength(2);
  });

  it("skips a header when told to, even with index columns", () => {
    const records = csv("label,text\na,hello\n");
    const examples = examplesFromRecords(records, "t.csv", { textCol: "1", labelCol: "0", header: true });
    expect(examples).toEqual([{ text: "hello", label: "a" }]);
  });

  it("trims labels but keeps text verbatim", () => {
    const records = csv("text,label\n  spaced  , a \n");
    expect(examplesFromRecords(records, "t.csv", { textCol: "text", labelCol: "label" })).toEqual([
      { text: "  spaced  ", label: "a" },
    ]);
  });

  it.each([
    [
      "text,label\na,b,c\n",
      { textCol: "text", labelCol: "label" },
      /^t\.csv:2: expected 2 columns, found 3$/,
    ],
    ["text,label\n,b\n", { textCol: "text", labelCol: "label" }, /^t\.csv:2: empty text$/],
    ["text,label\nhi,  \n", { textCol: "text", labelCol: "label" }, /^t\.csv:2: empty label$/],
    ["text,label\nhi,a\n", { textCol: "body", labelCol: "label" }, /^t\.csv:1: unknown column name "body"/],
    ["hi,a\n", { textCol: "5", labelCol: "1" }, /^t\.csv:1: text column 5 is out of range/],
    ["hi,a\n", { textCol: "text", labelCol: "0", header: false }, /^t\.csv: text column "text" is a name/],
    ["text,label\n", { textCol: "text", labelCol: "label" }, /^t\.csv: no examples$/],
  ])("rejects %j", (content, options, message) => {
    expect(() => examplesFromRecords(csv(content), "t.csv", options)).toThrow(message);
  });
});
