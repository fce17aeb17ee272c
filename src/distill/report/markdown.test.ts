import { describe, expect, it } from "vitest";
import type { EvalDetails } from "../eval/types.ts";
import { exampleEvaluation } from "./fixture.ts";
import { chosenPoint, REPORT_FILES, renderReport } from "./markdown.ts";
import { mdCode, mdText } from "./md.ts";
import { xmlErrors } from "./xml-check.ts";

const { summary, details } = exampleEvaluation();

describe("renderReport", () => {
  const { markdown, files } = renderReport(summary, details);

  it("returns every chart it embeds, and embeds every chart it returns", () => {
    const embedded = [...markdown.matchAll(/!\[[^\]]*\]\(([^)]+)\)/g)].map((m) => m[1]);
    expect(embedded.sort()).toEqual(Object.keys(files).sort());
    expect(Object.keys(files).sort()).toEqual(Object.values(REPORT_FILES).sort());
    for (const svg of Object.values(files)) expect(xmlErrors(svg)).toEqual([]);
  });

  it("has a title with the model name and version", () => {
    expect(markdown.split("\n")[0]).toBe("# clinc-intents 1.3.0: evaluation report");
  });

  it("contains the headline figures", () => {
    for (const figure of [
      "| Teacher accuracy | 96.20% |",
      "| Student accuracy | 90.30% |",
      `| Cascade accuracy | **${(summary.cascade.accuracy * 100).toFixed(2)}%** |`,
      "| In-scope accuracy (teacher / student) | 97.10% / 91.80% |",
      "| Out-of-scope recall (teacher / student) | 91.20% / 77.40% |",
      "| Student ECE, uncalibrated → calibrated | 9.47% → 1.83% |",
      "| Student ONNX size | 2.56 MiB |",
      "| Cascade score | `max_prob` |",
      `| Threshold | ${summary.cascade.threshold.toFixed(4)} |`,
      `| Teacher rate | ${(summary.cascade.teacher_rate * 100).toFixed(2)}% |`,
      `| Retention (cascade ÷ teacher accuracy) | ${(summary.cascade.retention * 100).toFixed(2)}% |`,
    ]) {
      expect(markdown).toContain(figure);
    }
  });

  it("lists the 15 worst classes, worst first, with what they are confused with", () => {
    const rows = markdown.split("\n").filter((l) => /^\| `/.test(l));
    expect(rows).toHaveLength(15);
    expect(rows[0]).toBe("| `oos` | 1,000 | 55.0% | 42.0% | 47.6% | `travel_suggestion` (31) |");
  });

  it("keeps hostile labels from breaking the table", () => {
    const nasty: EvalDetails = {
      ...details,
      classes: [{ label: 'a<b&"c"|d', support: 1, recall: 0, precision: 0, f1: 0, confusedWith: null }],
    };
    const md = renderReport(summary, nasty).markdown;
    expect(md).toContain('| `a<b&"c"\\|d` | 1 | 0.0% | 0.0% | 0.0% | — |');
    expect(renderReport(summary, nasty).files[REPORT_FILES.worstClasses]).toContain(
      "a&lt;b&amp;&quot;c&quot;|d",
    );
  });
});

describe("chosenPoint", () => {
  it("uses the curve point, or falls back to the summary's cascade figures", () => {
    expect(chosenPoint(summary, details)).toBe(summary.curve[details.chosenIndex]);
    const { threshold, teacher_rate, accuracy } = summary.cascade;
    expect(chosenPoint(summary, { ...details, chosenIndex: -1 })).toEqual({
      threshold,
      teacher_rate,
      accuracy,
    });
    const nan = { ...summary, cascade: { ...summary.cascade, threshold: Number.NaN } };
    expect(chosenPoint(nan, { ...details, chosenIndex: -1 })).toBeNull();
  });
});

describe("markdown escaping", () => {
  it("escapes inline syntax in text and picks a safe code fence", () => {
    expect(mdText("a|b <c> *d*\ne")).toBe("a\\|b \\<c\\> \\*d\\* e");
    expect(mdCode("a`b")).toBe("``a`b``");
    expect(mdCode("`x")).toBe("`` `x ``");
    expect(mdCode("a|b", false)).toBe("`a|b`");
  });
});
