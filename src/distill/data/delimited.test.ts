import { describe, expect, it } from "vitest";
import { parseCsv, parseTsv } from "./delimited.ts";
import { DataError } from "./errors.ts";

const fields = (records: { fields: string[] }[]) => records.map((r) => r.fields);

describe("parseCsv", () => {
  it("reads plain and quoted fields, doubled quotes and commas inside quotes", () => {
    expect(fields(parseCsv('a,b\n"x, y","say ""hi"""\n', "f.csv"))).toEqual([
      ["a", "b"],
      ["x, y", 'say "hi"'],
    ]);
  });

  it("keeps newlines inside quotes and numbers records by their first line", () => {
    const records = parseCsv('t,l\n"one\ntwo\nthree",a\nnext,b\n', "f.csv");
    expect(records).toEqual([
      { line: 1, fields: ["t", "l"] },
      { line: 2, fields: ["one\ntwo\nthree", "a"] },
      { line: 5, fields: ["next", "b"] },
    ]);
  });

  it("accepts CRLF, empty fields, a missing final newline, a BOM and blank lines", () => {
    expect(fields(parseCsv('\uFEFFa,b\r\n,""\r\n\r\nx,y', "f.csv"))).toEqual([
      ["a", "b"],
      ["", ""],
      ["x", "y"],
    ]);
  });

  it("keeps a quote in the middle of an unquoted field as a character", () => {
    expect(fields(parseCsv('5 ft 3" tall,x\n', "f.csv"))).toEqual([['5 ft 3" tall', "x"]]);
  });

  it("rejects an unclosed quote, naming the line where it opened", () => {
    expect(() => parseCsv('a,b\nc,"never closed\nmore\n', "bad.csv")).toThrow(
      new DataError("bad.csv", 2, "quoted field is never closed"),
    );
  });

  it("rejects text after a closing quote", () => {
    expect(() => parseCsv('a,b\n"x"y,z\n', "bad.csv")).toThrow(/^bad\.csv:2: unexpected character "y"/);
  });
});

describe("parseTsv", () => {
  it("splits on tabs and takes quotes literally", () => {
    const records = parseTsv('ham\t"quoted" start\nspam\tend "open\n\nham\t""\n', "f.tsv");
    expect(records).toEqual([
      { line: 1, fields: ["ham", '"quoted" start'] },
      { line: 2, fields: ["spam", 'end "open'] },
      { line: 4, fields: ["ham", '""'] },
    ]);
  });
});
