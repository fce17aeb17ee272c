import { describe, expect, it } from "vitest";
import { formatDuration, parseDuration } from "./duration.ts";

describe("loop durations", () => {
  it.each([
    ["90s", 90_000],
    ["90", 90_000],
    ["10m", 600_000],
    ["1h", 3_600_000],
    [" 5m ", 300_000],
  ])("%s is %d ms", (text, ms) => {
    expect(parseDuration(text)).toBe(ms);
  });

  it.each(["0s", "", "m", "1.5m", "-1m", "10 m", "1d", "10min"])("%j is refused", (text) => {
    expect(parseDuration(text)).toBeNull();
  });

  it("writes a duration in its largest whole unit", () => {
    expect([3_600_000, 600_000, 90_000, 1500].map(formatDuration)).toEqual(["1h", "10m", "90s", "2s"]);
  });
});
