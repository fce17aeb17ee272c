import { describe, expect, it } from "vitest";
import { ALL_STAGES_ON, type StageMemo, stagesOff } from "./stages.ts";

describe("stages", () => {
  it("all on: computes every time and never builds a key", () => {
    let computed = 0;
    let keyed = 0;
    for (let i = 0; i < 3; i++) {
      ALL_STAGES_ON.replay(
        "featurise",
        () => keyed++,
        () => computed++,
      );
    }
    expect([computed, keyed]).toEqual([3, 0]);
    expect(ALL_STAGES_ON.off("telemetry")).toBe(false);
  });

  it("off: the first result per key is replayed; stages not named are computed", () => {
    const memo: StageMemo = new Map();
    const stages = stagesOff(new Set(["featurise"]), memo);
    let computed = 0;
    const featurise = (text: string) =>
      stages.replay(
        "featurise",
        () => text,
        () => `${text}#${++computed}`,
      );
    expect([featurise("a"), featurise("a"), featurise("b")]).toEqual(["a#1", "a#1", "b#2"]);
    expect(
      stages.replay(
        "parse",
        () => "a",
        () => "parsed",
      ),
    ).toBe("parsed");
    expect(memo.has("parse")).toBe(false);
    expect([stages.off("featurise"), stages.off("parse")]).toEqual([true, false]);
  });

  it("nothing off is the production switch itself", () => {
    expect(stagesOff(new Set(), new Map())).toBe(ALL_STAGES_ON);
  });
});
