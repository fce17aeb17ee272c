import { describe, expect, it } from "vitest";
import { UsageError } from "./args.ts";
import { definitionOf, parseLabels } from "./model-flags.ts";

/** `npm run model -- create`: the labels file and the flags as the definition the gateway receives. */
describe("the labels file", () => {
  it("is a JSON array of strings, or one label per line, in the order given", () => {
    expect(parseLabels('["spam", "ham"]\n')).toEqual(["spam", "ham"]);
    expect(parseLabels("spam\r\n\n  ham \n")).toEqual(["spam", "ham"]);
  });

  it("a JSON file that is not an array of strings is a usage error", () => {
    expect(() => parseLabels('["spam", 2]')).toThrow(UsageError);
  });
});

describe("the definition", () => {
  it("labels only: the gateway's default teacher", () => {
    expect(definitionOf({}, ["a", "b"])).toEqual({ labels: ["a", "b"] });
    expect(definitionOf({ "out-of-scope": "b" }, ["a", "b"])).toEqual({
      labels: ["a", "b"],
      outOfScopeLabel: "b",
    });
  });

  it("a teacher of its own: protocol, URL, model id, the secret's name and the price", () => {
    const flags = {
      "teacher-protocol": "openai",
      "teacher-url": "https://api.example.com",
      "teacher-model": "gpt-4o-mini",
      "teacher-key-secret": "OPENAI_KEY",
      price: "0.002",
    };
    expect(definitionOf(flags, ["a", "b"]).teacher).toEqual({
      protocol: "openai",
      url: "https://api.example.com",
      model: "gpt-4o-mini",
      secret: "OPENAI_KEY",
      pricePerCall: 0.002,
    });
  });

  it("teacher flags without --teacher-protocol, or a price that is not a number, are usage errors", () => {
    expect(() => definitionOf({ "teacher-url": "https://x.example" }, ["a", "b"])).toThrow(
      /--teacher-protocol/,
    );
    expect(() => definitionOf({ "teacher-protocol": "openai", price: "cheap" }, ["a", "b"])).toThrow(
      UsageError,
    );
  });
});
