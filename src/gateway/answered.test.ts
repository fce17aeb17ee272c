import { afterEach, describe, expect, it, vi } from "vitest";
import { type AnsweredBatch, type AnswerListener, allOf } from "./answered.ts";

/** The hand-over of a request's answers: every listener hears of it, whatever another one does. */
afterEach(() => {
  vi.restoreAllMocks();
});

describe("answer listeners", () => {
  it("each gets the batch in turn; one that throws is logged and skips no other", () => {
    const errors = vi.spyOn(console, "error").mockImplementation(() => {});
    const heard: string[] = [];
    const batch = { endpoint: "v1" } as AnsweredBatch;
    const listener =
      (name: string): AnswerListener =>
      (b) => {
        heard.push(`${name} ${b.endpoint}`);
      };
    const failing: AnswerListener = () => {
      throw new Error("listener down");
    };
    allOf([listener("log"), failing, listener("telemetry")])(batch);
    expect(heard).toEqual(["log v1", "telemetry v1"]);
    expect(errors).toHaveBeenCalledWith("answered: a listener failed:", expect.any(Error));
  });
});
