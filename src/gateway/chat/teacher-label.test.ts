import { describe, expect, it } from "vitest";
import { TeacherError } from "../teacher-client/types.ts";
import { labelFromCompletion, labelFromContent, labelFromStream } from "./teacher-label.ts";

/** How the label is read back from a teacher's chat answer, whole or streamed. */
const LABELS = ["ham", "spam"];

const completion = (content: string | null, logprobs: unknown = null) =>
  JSON.stringify({ choices: [{ message: { content }, logprobs }] });

/** A stream cut into pieces of `size` bytes, so events and characters straddle the reads. */
function streamOf(text: string, size: number): ReadableStream<Uint8Array> {
  const bytes = new TextEncoder().encode(text);
  let at = 0;
  return new ReadableStream({
    pull(controller) {
      if (at >= bytes.length) return controller.close();
      controller.enqueue(bytes.slice(at, at + size));
      at += size;
    },
  });
}

const sse = (contents: string[]) =>
  `${contents.map((content) => `data: ${JSON.stringify({ choices: [{ index: 0, delta: { content } }] })}\n\n`).join("")}data: [DONE]\n\n`;

const kindOf = (f: () => unknown) => {
  try {
    f();
  } catch (error) {
    return error instanceof TeacherError ? error.kind : "other";
  }
  return "none";
};

describe("the label in a teacher's chat answer", () => {
  it("is the content itself, or the one string value of a JSON object", () => {
    expect(labelFromContent(" spam\n", null, LABELS)).toEqual({ label: "spam", confidence: 1, probs: null });
    expect(labelFromContent('{"label":"ham"}', null, LABELS).label).toBe("ham");
    expect(labelFromContent('{"verdict": "spam"}', null, LABELS).label).toBe("spam");
  });

  it("is no label when the content names none, or two, and a bad_response without content", () => {
    expect(kindOf(() => labelFromContent("probably spam", null, LABELS))).toBe("unknown_label");
    expect(kindOf(() => labelFromContent('{"a":"ham","b":"spam"}', null, LABELS))).toBe("unknown_label");
    expect(kindOf(() => labelFromContent(null, null, LABELS))).toBe("bad_response");
    expect(kindOf(() => labelFromCompletion("not json", LABELS))).toBe("bad_response");
    expect(kindOf(() => labelFromCompletion('{"choices":[]}', LABELS))).toBe("bad_response");
  });

  it("takes its confidence from the logprobs of the label's tokens", () => {
    const tokens = [
      { token: '{"label":"', logprob: 0, bytes: null },
      { token: "spam", logprob: Math.log(0.8), bytes: null, top_logprobs: [] },
      { token: '"}', logprob: 0, bytes: null },
    ];
    const answer = labelFromCompletion(completion('{"label":"spam"}', { content: tokens }), LABELS);
    expect(answer.label).toBe("spam");
    expect(answer.confidence).toBeCloseTo(0.8, 9);
    const bare = labelFromContent(
      "spam",
      [
        { token: "sp", logprob: Math.log(0.5) },
        { token: "am", logprob: 0 },
      ],
      LABELS,
    );
    expect(bare.confidence).toBeCloseTo(0.5, 9);
  });

  it("is read from a stream however its events are cut", async () => {
    const body = sse(["", '{"label":"', "spam", '"}']);
    for (const size of [1, 3, 7, 1000]) {
      expect((await labelFromStream(streamOf(body, size), LABELS, 1 << 20)).label, `pieces of ${size}`).toBe(
        "spam",
      );
    }
  });

  it("stops reading a stream past the byte cap", async () => {
    const error = await labelFromStream(streamOf(sse(["s", "p", "a", "m"]), 16), LABELS, 64).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(TeacherError);
    expect((error as TeacherError).kind).toBe("bad_response");
  });
});
