import { describe, expect, it } from "vitest";
import { xmlErrors } from "./xml-check.ts";

// The checker guards every SVG test, so it must itself reject what a browser would.
describe("xmlErrors", () => {
  it("accepts well-formed documents", () => {
    expect(
      xmlErrors(`<?xml version="1.0"?>\n<a x="1" y='2'><b/><!-- ok --><c>t &amp; &#60;</c></a>\n`),
    ).toEqual([]);
  });

  it.each([
    ["unclosed element", "<a><b></a>"],
    ["wrong nesting", "<a><b></a></b>"],
    ["raw ampersand in text", "<a>x & y</a>"],
    ["raw < in attribute", `<a t="<"/>`],
    ["bare & in attribute", `<a t="&"/>`],
    ["unquoted attribute", "<a t=1/>"],
    ["duplicate attribute", `<a t="1" t="2"/>`],
    ["two roots", "<a/><b/>"],
    ["text outside root", "<a/>x"],
    ["no root", ""],
    ["double dash in comment", "<a><!-- a -- b --></a>"],
  ])("rejects %s", (_, xml) => {
    expect(xmlErrors(xml)).not.toEqual([]);
  });
});
