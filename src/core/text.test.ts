import { describe, expect, it } from "vitest";
import { BLANK_TEXT_MESSAGE, isBlank, textSchema, textsSchema } from "./text.ts";

describe("the text rules every surface applies", () => {
  it("a blank text is empty or white space of any kind", () => {
    for (const blank of ["", " ", "\t\n\r", "\u00a0\u3000\ufeff"]) expect(isBlank(blank), blank).toBe(true);
    for (const text of ["a", " a ", "\u3000?"]) expect(isBlank(text), text).toBe(false);
  });

  it("a text is refused when blank or longer than the cap, and kept verbatim otherwise", () => {
    const Text = textSchema(4);
    expect(Text.parse(" ab ")).toBe(" ab ");
    expect(Text.safeParse("abcde").success).toBe(false);
    expect(Text.safeParse("  ").error?.issues[0]?.message).toBe(BLANK_TEXT_MESSAGE);
    expect(textSchema().parse("x".repeat(100_000))).toHaveLength(100_000);
  });

  it("a batch holds 1 to maxBatch valid texts", () => {
    const Texts = textsSchema({ maxTextChars: 10, maxBatch: 2 });
    expect(Texts.parse(["a", "b"])).toEqual(["a", "b"]);
    for (const bad of [[], ["a", "b", "c"], ["a", " "], ["a".repeat(11)]])
      expect(Texts.safeParse(bad).success, JSON.stringify(bad)).toBe(false);
  });
});
