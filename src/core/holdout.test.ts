import { describe, expect, it } from "vitest";
import { DEFAULT_HOLDOUT, isHeldOut } from "./holdout.ts";

const ids = Array.from({ length: 5000 }, (_, i) => `${i.toString(16).padStart(8, "0")}${"ab".repeat(28)}`);

describe("isHeldOut: the held-out slice of logged records", () => {
  it("is a function of the id alone: the same answer every call", () => {
    for (const id of ids.slice(0, 200)) expect(isHeldOut(id)).toBe(isHeldOut(id));
  });

  it("holds out about the share asked for", () => {
    const share = ids.filter((id) => isHeldOut(id)).length / ids.length;
    expect(share).toBeGreaterThan(DEFAULT_HOLDOUT - 0.03);
    expect(share).toBeLessThan(DEFAULT_HOLDOUT + 0.03);
    expect(ids.filter((id) => isHeldOut(id, 0.5)).length / ids.length).toBeGreaterThan(0.46);
  });

  it("grows with the share: a record held out at 10% stays held out at 20%", () => {
    for (const id of ids) if (isHeldOut(id, 0.1)) expect(isHeldOut(id, 0.2)).toBe(true);
  });

  it("holds out nothing at 0 and everything at 1, and refuses a share outside [0, 1]", () => {
    expect(ids.some((id) => isHeldOut(id, 0))).toBe(false);
    expect(ids.every((id) => isHeldOut(id, 1))).toBe(true);
    expect(() => isHeldOut(ids[0]!, 1.5)).toThrow(/\[0, 1\]/);
    expect(() => isHeldOut(ids[0]!, Number.NaN)).toThrow(/\[0, 1\]/);
  });
});
