import { describe, expect, it } from "vitest";
import { compareRates } from "../../core/sequential-test.ts";
import { CanaryDecision, CanaryPolicy, decideCanary, MAX_DECISIONS } from "./canary-decision.ts";
import { type Pointer, promote, settleCanary, startShadow } from "./pointer.ts";

const START = new Date("2026-12-01T00:00:00Z");
const hoursLater = (h: number) => new Date(START.getTime() + h * 3_600_000);
const run = (policy: Partial<CanaryPolicy> = {}) => ({
  canary: "2",
  live: "1",
  policy: CanaryPolicy.parse(policy),
  startedAt: START,
});
const undecided = compareRates({ agree: 9, total: 10 }, { agree: 9, total: 10 }, 0.05);
const worse = compareRates({ agree: 1, total: 60 }, { agree: 55, total: 60 }, 0.05);
const better = compareRates({ agree: 55, total: 60 }, { agree: 1, total: 60 }, 0.05);

describe("decideCanary", () => {
  it("waits while the evidence is undecided and the time limit is not reached", () => {
    expect(decideCanary(run(), undecided, hoursLater(71.9))).toBeNull();
  });

  it("rolls back at the time limit by default, or promotes when the policy says so", () => {
    expect(decideCanary(run(), undecided, hoursLater(72))).toMatchObject({
      action: "rollback",
      reason: "time_limit",
    });
    const lenient = run({ time_limit_hours: 1, on_time_limit: "promote" });
    expect(decideCanary(lenient, undecided, hoursLater(1))).toMatchObject({
      action: "promote",
      reason: "time_limit",
    });
  });

  it("acts on a verdict at once, with the figures it was taken on", () => {
    const decision = decideCanary(run(), worse, hoursLater(0.1))!;
    expect(decision).toMatchObject({
      action: "rollback",
      reason: "worse",
      canary: "2",
      live: "1",
      alpha: 0.05,
    });
    expect(decision.since).toBe(START.toISOString());
    expect(decision.figures.canary).toMatchObject({ version: "2", agree: 1, total: 60 });
    expect(decision.figures.difference.upper).toBeLessThan(0);
    expect(decision.evidence).toBe("teacher");
  });

  it("promotes a better canary at once, before the time limit, with both versions' figures", () => {
    expect(better.verdict).toBe("better");
    const decision = decideCanary(run(), better, hoursLater(0.1))!;
    expect(decision).toMatchObject({ action: "promote", reason: "better", canary: "2", live: "1" });
    expect(decision.at).toBe(hoursLater(0.1).toISOString());
    expect(decision.figures.canary).toMatchObject({ version: "2", agree: 55, total: 60 });
    expect(decision.figures.live).toMatchObject({ version: "1", agree: 1, total: 60 });
    expect(decision.figures.difference.lower).toBeGreaterThan(0);
    // A verdict is acted on whatever the time-limit policy says.
    expect(decideCanary(run({ on_time_limit: "rollback" }), better, hoursLater(100))).toMatchObject({
      action: "promote",
      reason: "better",
    });
  });

  it("says which evidence decided; decisions stored before feedback counted read as the teacher's", () => {
    const onFeedback = decideCanary(run(), worse, hoursLater(0.1), "feedback")!;
    expect(onFeedback).toMatchObject({ action: "rollback", evidence: "feedback" });
    const { evidence: _, ...stored } = onFeedback;
    expect(CanaryDecision.parse(stored).evidence).toBe("teacher");
    expect(CanaryDecision.parse(onFeedback).evidence).toBe("feedback");
  });
});

describe("pointer transitions with a shadow and decisions", () => {
  const base: Pointer = { live: "1", previous: [], canary: null, updated_at: START.toISOString() };

  it("promoting the shadow's version ends the shadow; the canary carries its policy and start", () => {
    const shadowed = startShadow(base, "2", 10, START);
    const canary = promote(shadowed, "2", 20, hoursLater(1), CanaryPolicy.parse({ alpha: 0.01 }));
    expect(canary.shadow).toBeNull();
    expect(canary.canary).toEqual({
      version: "2",
      percent: 20,
      started_at: hoursLater(1).toISOString(),
      decision: { alpha: 0.01, time_limit_hours: 72, on_time_limit: "rollback", min_feedback: 100 },
    });
  });

  it("settling keeps the decision; promote moves live onto previous, rollback keeps live", () => {
    const withCanary = promote(base, "2", 20, START);
    const rolledBack = settleCanary(withCanary, decideCanary(run(), worse, hoursLater(1))!, hoursLater(1));
    expect(rolledBack).toMatchObject({ live: "1", previous: [], canary: null });
    expect(rolledBack.decisions).toHaveLength(1);
    const better = decideCanary(run({ on_time_limit: "promote" }), undecided, hoursLater(80))!;
    const live = settleCanary(withCanary, better, hoursLater(80));
    expect(live).toMatchObject({ live: "2", previous: ["1"], canary: null });
    expect(live.decisions).toEqual([better]);
  });

  it("keeps at most MAX_DECISIONS decisions", () => {
    let pointer = promote(base, "2", 20, START);
    const decision = decideCanary(run(), worse, START)!;
    for (let i = 0; i < MAX_DECISIONS + 5; i++)
      pointer = settleCanary(promote(pointer, "2", 20, START), decision, START);
    expect(pointer.decisions).toHaveLength(MAX_DECISIONS);
  });
});
