import { describe, expect, it } from "vitest";
import { niceTicks, rateDomain } from "./axes.ts";
import { escapeXml, svgDocument, text, truncate } from "./svg.ts";
import { xmlErrors } from "./xml-check.ts";

describe("svg helpers", () => {
  it("escapes markup characters and drops characters XML forbids", () => {
    expect(escapeXml(`a<b&"c"'d>\u0001`)).toBe("a&lt;b&amp;&quot;c&quot;&apos;d&gt;");
  });

  it("builds a well-formed, accessible document", () => {
    const svg = svgDocument({ width: 640, height: 400, title: `a<b&"c"`, description: "d & e" }, [
      text(10, 10, "x < y", { tooltip: `"q"`, halo: true, rotate: -90 }),
    ]);
    expect(xmlErrors(svg)).toEqual([]);
    expect(svg).toContain('role="img"');
    expect(svg).toContain('<title id="chart-title">a&lt;b&amp;&quot;c&quot;</title>');
  });

  it("truncates by code points and marks the cut", () => {
    expect(truncate("abcdef", 4)).toBe("abc…");
    expect(truncate("abc", 4)).toBe("abc");
  });

  it("picks round ticks without floating-point noise", () => {
    expect(niceTicks(0, 1, 5)).toEqual([0, 0.2, 0.4, 0.6, 0.8, 1]);
    expect(niceTicks(0.88, 0.98, 6)).toEqual([0.88, 0.9, 0.92, 0.94, 0.96, 0.98]);
  });

  it("zooms a rate axis on the data but stays inside [0, 1]", () => {
    const { domain, ticks } = rateDomain([0.9, 0.96]);
    expect(domain[0]).toBeGreaterThan(0.8);
    expect(domain[1]).toBeLessThanOrEqual(1);
    expect(ticks[0]).toBe(domain[0]);
    expect(rateDomain([0.995, 1]).domain[1]).toBe(1);
    expect(rateDomain([]).domain).toEqual([0, 1]);
  });
});
