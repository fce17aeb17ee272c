import { describe, expect, it } from "vitest";
import type { Standing } from "../gateway-client/schemas.ts";
import { shadowMove } from "./shadow.ts";

const standing = (verdict: Standing["verdict"], total: number): Standing => ({
  role: "shadow",
  evidence: "teacher",
  verdict,
  candidate: { version: "1.1.0", agree: Math.round(total * 0.9), total, rate: total ? 0.9 : null },
  live: { version: "1.0.0", agree: 90, total: 100, rate: 0.9 },
});

describe("what a round does with a running shadow", () => {
  it("stops a shadow worse than live with confidence, however few texts it was compared on", () => {
    expect(shadowMove(standing("worse", 12), 200)).toBe("stop");
    expect(shadowMove(standing("worse", 500), 200)).toBe("stop");
  });

  it("makes a canary of a shadow not worse once it was compared on --shadow-min texts", () => {
    expect(shadowMove(standing("undecided", 200), 200)).toBe("canary");
    expect(shadowMove(standing("better", 250), 200)).toBe("canary");
  });

  it("waits below --shadow-min, and while the gateway reports no standing for it", () => {
    expect(shadowMove(standing("undecided", 199), 200)).toBe("wait");
    expect(shadowMove(standing("better", 50), 200)).toBe("wait");
    expect(shadowMove(undefined, 200)).toBe("wait");
  });
});
