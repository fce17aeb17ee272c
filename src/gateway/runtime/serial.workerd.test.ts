import { describe, expect, it } from "vitest";
import { createSerial } from "./serial.ts";

describe("createSerial", () => {
  it("runs tasks one at a time in call order, and a failure does not block the next", async () => {
    const serial = createSerial();
    const log: string[] = [];
    const task =
      (name: string, fail = false) =>
      async () => {
        log.push(`start ${name}`);
        await new Promise((r) => setTimeout(r, 1));
        log.push(`end ${name}`);
        if (fail) throw new Error(name);
        return name;
      };
    const results = await Promise.allSettled([serial(task("a")), serial(task("b", true)), serial(task("c"))]);
    expect(log).toEqual(["start a", "end a", "start b", "end b", "start c", "end c"]);
    expect(results.map((r) => r.status)).toEqual(["fulfilled", "rejected", "fulfilled"]);
  });
});
