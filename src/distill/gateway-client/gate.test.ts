import { describe, expect, it } from "vitest";
import { evaluationGate, type GateFigures } from "./gate.ts";
import { nextVersion } from "./version.ts";

const live: GateFigures = { version: "1.0.0", split: "test", n: 5500, accuracy: 0.85, teacherRate: 0.2 };
const cand = (accuracy: number, teacherRate: number, n = 5500): GateFigures => ({
  version: "1.0.1",
  split: "test",
  n,
  accuracy,
  teacherRate,
});
const gate = (c: GateFigures, force = false) => evaluationGate(c, live, { tolerance: 0.002, force });

describe("evaluation gate", () => {
  it("refuses a student with a lower cascade accuracy, even at a lower teacher rate", () => {
    const v = gate(cand(0.84, 0.1));
    expect(v).toMatchObject({ pass: false, forced: false });
    expect(v.reason).toMatch(/worse cascade accuracy/);
  });

  it("accepts a more accurate student, even at a higher teacher rate", () => {
    expect(gate(cand(0.86, 0.3))).toMatchObject({ pass: true, forced: false });
  });

  it("decides equal accuracy by the teacher rate", () => {
    expect(gate(cand(0.85, 0.2)).pass).toBe(true);
    expect(gate(cand(0.85, 0.19)).pass).toBe(true);
    const costlier = gate(cand(0.85, 0.21));
    expect(costlier.pass).toBe(false);
    expect(costlier.reason).toMatch(/equal cascade accuracy at a higher teacher rate/);
  });

  it("forgives a drop within the tolerance only for a teacher rate not higher", () => {
    expect(gate(cand(0.849, 0.15)).pass).toBe(true);
    expect(gate(cand(0.849, 0.25)).pass).toBe(false);
    expect(gate(cand(0.8475, 0.01)).pass).toBe(false);
  });

  it("never refuses a more accurate student because of the tolerance", () => {
    expect(gate(cand(0.8505, 0.5)).pass).toBe(true);
  });

  it("refuses figures from another test split as not comparable", () => {
    expect(gate(cand(0.99, 0.01, 100)).reason).toMatch(/not comparable/);
  });

  it("lets --force through, saying so", () => {
    const v = gate(cand(0.5, 0.9), true);
    expect(v).toMatchObject({ pass: true, forced: true });
    expect(v.reason).toMatch(/worse .*overridden by --force/);
  });

  it("passes when the live package has no figures to defend", () => {
    const none = { ...live, n: 0 };
    expect(evaluationGate(cand(0.1, 1), none, { tolerance: 0, force: false }).pass).toBe(true);
  });
});

describe("default version", () => {
  it("is the next patch above the live version and every uploaded one", () => {
    expect(nextVersion("1.0.0", [])).toBe("1.0.1");
    expect(nextVersion("1.0.0", ["1.0.1", "1.0.4", "2.0.9", "1.1.7"])).toBe("1.0.5");
  });

  it("is a UTC timestamp when the live version is not x.y.z", () => {
    expect(nextVersion("2026-r1", [], new Date("2026-03-04T05:06:07Z"))).toBe("20260304.050607");
  });
});
