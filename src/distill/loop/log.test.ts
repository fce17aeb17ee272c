import { describe, expect, it } from "vitest";
import { loopLog } from "./log.ts";

describe("the loop's log", () => {
  const lines = (json: boolean) => {
    const out: string[] = [];
    const log = loopLog("intents", json, (line) => out.push(line));
    log("count", "812 new records since 2026-12-03T10:00:00.000Z: re-distilling", { new_records: 812 });
    log("distill", "routing fitted\n| kind | threshold |\n| --- | --- |");
    return out;
  };

  it("writes one line per step in text, a table shortened to its first line", () => {
    const [count, table] = lines(false);
    expect(count).toMatch(
      /^\d{4}-\d\d-\d\dT[\d:.]+Z intents count: 812 new records since .*: re-distilling\n$/,
    );
    expect(table).toMatch(/ intents distill: routing fitted \(…\)\n$/);
  });

  it("writes one JSON object per line with --json, fields and whole tables included", () => {
    const [count, table] = lines(true).map((line) => {
      expect(line.endsWith("\n") && !line.slice(0, -1).includes("\n")).toBe(true);
      return JSON.parse(line) as Record<string, unknown>;
    });
    expect(count).toMatchObject({ model: "intents", step: "count", new_records: 812 });
    expect(Number.isFinite(Date.parse(String(count!.ts)))).toBe(true);
    expect(table!.message).toBe("routing fitted\n| kind | threshold |\n| --- | --- |");
  });
});
