import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { exampleEvaluation } from "./fixture.ts";
import { REPORT_FILES, renderReport } from "./markdown.ts";
import { writeReport } from "./write.ts";

describe("writeReport", () => {
  const dirs: string[] = [];
  afterAll(async () => {
    for (const dir of dirs) await rm(dir, { recursive: true, force: true });
  });

  it("writes report.md and the charts it embeds", async () => {
    const dir = await mkdtemp(join(tmpdir(), "report-"));
    dirs.push(dir);
    const { summary, details } = exampleEvaluation();
    const written = await writeReport(dir, summary, details);
    expect(written).toHaveLength(4);
    const rendered = renderReport(summary, details);
    expect(await readFile(join(dir, "report.md"), "utf8")).toBe(rendered.markdown);
    expect(await readFile(join(dir, REPORT_FILES.cascade), "utf8")).toBe(
      rendered.files[REPORT_FILES.cascade],
    );
  });
});
