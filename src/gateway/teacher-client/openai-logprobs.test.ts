import { describe, expect, it } from "vitest";
import type { TokenLogprobAnswer as TokenLogprob } from "../../core/openai-chat.ts";
import { labelLogprobs } from "./openai-logprobs.ts";

/** Token logprob entries as servers send them; `bytes` from the token text unless given. */
const encoder = new TextEncoder();
const tok = (token: string, logprob: number, extra: Partial<TokenLogprob> = {}): TokenLogprob => ({
  token,
  logprob,
  bytes: Array.from(encoder.encode(token)),
  ...extra,
});

describe("labelLogprobs", () => {
  const labels = ["ham", "spam"];

  it("one token carries the label (the local teacher's convention); alternatives give the distribution", () => {
    const alts = [tok("spam", Math.log(0.8)), tok("ham", Math.log(0.2))];
    const tokens = [tok('{"label":"', 0), tok("spam", Math.log(0.8), { top_logprobs: alts }), tok('"}', 0)];
    const read = labelLogprobs('{"label":"spam"}', tokens, labels)!;
    expect(Math.exp(read.logprob)).toBeCloseTo(0.8, 12);
    expect(read.probs![0]).toBeCloseTo(0.2, 12);
    expect(read.probs![1]).toBeCloseTo(0.8, 12);
  });

  it("a label split over several tokens sums their logprobs; structure tokens are left out", () => {
    const tokens = [
      tok("{", 0),
      tok('"', -0.001),
      tok("label", 0),
      tok('":', 0),
      tok(' "', 0),
      tok("sp", Math.log(0.9)),
      tok("am", Math.log(0.5)),
      tok('"}', -0.002),
    ];
    const read = labelLogprobs('{"label": "spam"}', tokens, labels)!;
    expect(Math.exp(read.logprob)).toBeCloseTo(0.45, 12);
    expect(read.probs).toBeNull();
  });

  it("a token merging the quote with the label's start counts once", () => {
    const tokens = [tok('{"label', 0), tok('":"sp', Math.log(0.6)), tok('am"}', Math.log(0.5))];
    const read = labelLogprobs('{"label":"spam"}', tokens, labels)!;
    expect(Math.exp(read.logprob)).toBeCloseTo(0.3, 12);
  });

  it("works in bytes when a token ends inside a multi-byte character", () => {
    const content = '{"label":"café"}';
    const [c1, c2] = [0xc3, 0xa9];
    const tokens = [
      tok('{"label":"', 0),
      tok("caf", Math.log(0.5)),
      // "é" split over two tokens; their strings are not valid text on their own.
      { token: "\\xc3", logprob: Math.log(0.5), bytes: [c1] },
      { token: "\\xa9", logprob: 0, bytes: [c2] },
      tok('"}', 0),
    ];
    const read = labelLogprobs(content, tokens, ["café", "tea"])!;
    expect(Math.exp(read.logprob)).toBeCloseTo(0.25, 12);
  });

  it("falls back to token strings when bytes are missing", () => {
    const tokens = [
      tok('{"label":"', 0, { bytes: null }),
      tok("ham", Math.log(0.7), { bytes: null }),
      tok('"}', 0),
    ];
    const read = labelLogprobs('{"label":"ham"}', tokens, labels)!;
    expect(Math.exp(read.logprob)).toBeCloseTo(0.7, 12);
  });

  it("gives nothing when the tokens do not spell the content or the label cannot be found", () => {
    expect(labelLogprobs('{"label":"ham"}', [tok('{"label":"spam"}', -1)], labels)).toBeNull();
    expect(labelLogprobs('{"other":"ham"}', [tok('{"other":"ham"}', -1)], labels)).toBeNull();
    expect(labelLogprobs('{"label":"ham"}', [], labels)).toBeNull();
  });
});
