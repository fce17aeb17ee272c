import { describe, expect, it } from "vitest";
import { record } from "./testing.ts";
import { newestRecordAt, watermarkOf } from "./watermark.ts";

describe("the data watermark", () => {
  it("is the newest record's time, null without records", () => {
    const records = [
      record("a", { ts: "2026-12-01T10:00:00.000Z" }),
      record("b", { ts: "2026-12-03T09:59:59.999Z" }),
      record("c", { ts: "2026-12-02T23:00:00.000Z" }),
    ];
    expect(newestRecordAt(records)).toBe("2026-12-03T09:59:59.999Z");
    expect(newestRecordAt([])).toBeNull();
  });

  it("is read back from a manifest's training.hardExamples, null when it has none", () => {
    const at = "2026-12-03T09:59:59.999Z";
    expect(watermarkOf({ training: { hardExamples: { newestRecordAt: at, holdout: 0.2 } } })).toBe(at);
    expect(watermarkOf({ training: { hardExamples: { newestRecordAt: null } } })).toBeNull();
    expect(watermarkOf({ training: { dataset: "clinc150" } })).toBeNull();
    expect(watermarkOf({ training: { hardExamples: { newestRecordAt: "yesterday" } } })).toBeNull();
  });
});
