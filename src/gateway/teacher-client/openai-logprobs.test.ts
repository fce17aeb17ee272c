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

  it("labels missing from top_logprobs share the mass the list leaves; the whole sums to 1", () => {
    const six = ["a", "b", "c", "d", "e", "f"];
    const alts = [tok("a", Math.log(0.7)), tok("b", Math.log(0.15)), tok("c", Math.log(0.05))];
    const tokens = [tok('{"label":"', 0), tok("a", Math.log(0.7), { top_logprobs: alts }), tok('"}', 0)];
    const probs = labelLogprobs('{"label":"a"}', tokens, six)!.probs!;
    // Listed labels keep their probability; the 0.1 left is spread over the three unlisted ones.
    [0.7, 0.15, 0.05, 0.1 / 3, 0.1 / 3, 0.1 / 3].forEach((p, i) => {
      expect(probs[i]).toBeCloseTo(p, 12);
    });
    expect(probs.reduce((s, p) => s + p, 0)).toBeCloseTo(1, 12);
  });

  it("an unlisted label gets no more than the smallest listed one: the server ranked it below", () => {
    const three = ["a", "b", "c"];
    const alts = [tok("a", Math.log(0.6)), tok("b", Math.log(0.1))];
    const tokens = [tok('{"label":"', 0), tok("a", Math.log(0.6), { top_logprobs: alts }), tok('"}', 0)];
    const probs = labelLogprobs('{"label":"a"}', tokens, three)!.probs!;
    // c is capped at 0.1 (not the 0.3 left), then the mass over the labels is renormalised.
    [0.6 / 0.8, 0.1 / 0.8, 0.1 / 0.8].forEach((p, i) => {
      expect(probs[i]).toBeCloseTo(p, 12);
    });
  });

  it("a split label: prefix alternatives go to the labels they begin; the answered one is exact", () => {
    const alts = [tok("sp", Math.log(0.9)), tok("h", Math.log(0.08))];
    const tokens = [
      tok('{"label":"', 0),
      tok("sp", Math.log(0.9), { top_logprobs: alts }),
      tok("am", Math.log(0.5)),
      tok('"}', 0),
    ];
    const read = labelLogprobs('{"label":"spam"}', tokens, ["ham", "spam", "spare"])!;
    expect(Math.exp(read.logprob)).toBeCloseTo(0.45, 12);
    // spam 0.45 exactly; "sp"'s other 0.45 to spare, the only other label it begins; "h" to ham.
    [0.08 / 0.98, 0.45 / 0.98, 0.45 / 0.98].forEach((p, i) => {
      expect(read.probs![i]).toBeCloseTo(p, 12);
    });
  });

  it("a token merging the quote with the label: alternatives are read after the quote; others are dropped", () => {
    const alts = [
      tok('":"sp', Math.log(0.6)),
      tok('":"h', Math.log(0.3)),
      tok('": "', Math.log(0.05)),
      tok("{", Math.log(0.01)),
    ];
    const tokens = [tok('{"label', 0), tok('":"sp', Math.log(0.6), { top_logprobs: alts }), tok('am"}', 0)];
    const probs = labelLogprobs('{"label":"spam"}', tokens, labels)!.probs!;
    // ham 0.3, spam 0.6; the structure alternatives begin no label and are renormalised away.
    expect(probs[0]).toBeCloseTo(1 / 3, 12);
    expect(probs[1]).toBeCloseTo(2 / 3, 12);
  });

  it("a label that is a prefix of another: a whole-label alternative is that label alone", () => {
    const alts = [tok("pto_request", Math.log(0.5)), tok("pto_request_status", Math.log(0.4))];
    const tokens = [
      tok('{"label":"', 0),
      tok("pto_request", Math.log(0.5), { top_logprobs: alts }),
      tok('"}', 0),
    ];
    const probs = labelLogprobs('{"label":"pto_request"}', tokens, ["pto_request", "pto_request_status"])!
      .probs!;
    expect(probs[0]).toBeCloseTo(0.5 / 0.9, 12);
    expect(probs[1]).toBeCloseTo(0.4 / 0.9, 12);
  });

  it("gives nothing when the tokens do not spell the content or the label cannot be found", () => {
    expect(labelLogprobs('{"label":"ham"}', [tok('{"label":"spam"}', -1)], labels)).toBeNull();
    expect(labelLogprobs('{"other":"ham"}', [tok('{"other":"ham"}', -1)], labels)).toBeNull();
    expect(labelLogprobs('{"label":"ham"}', [], labels)).toBeNull();
  });
  it("gives nothing when the tokens spell other content of the same length, in bytes or in strings", () => {
    expect(labelLogprobs('{"label":"ham"}', [tok('{"label":"hum"}', -1)], labels)).toBeNull();
    expect(
      labelLogprobs('{"label":"ham"}', [tok('{"label":"hum"}', -1, { bytes: null })], labels),
    ).toBeNull();
    // Tokens that spell only the start of the content do not spell it.
    expect(labelLogprobs('{"label":"ham"}', [tok('{"label":"ham"', -1)], labels)).toBeNull();
  });

  it("a label outside the set keeps its logprob but has no distribution", () => {
    const alts = [tok("eggs", Math.log(0.4)), tok("ham", Math.log(0.3))];
    const tokens = [tok('{"label":"', 0), tok("eggs", Math.log(0.4), { top_logprobs: alts }), tok('"}', 0)];
    const read = labelLogprobs('{"label":"eggs"}', tokens, labels)!;
    expect(Math.exp(read.logprob)).toBeCloseTo(0.4, 12);
    expect(read.probs).toBeNull();
  });

  it("a label with JSON escapes is read as the label it spells", () => {
    const quoted = 'say "hi"';
    const alts = [tok('say \\"hi\\"', Math.log(0.7)), tok("no", Math.log(0.3))];
    const tokens = [
      tok('{"label":"', 0),
      tok('say \\"hi\\"', Math.log(0.7), { top_logprobs: alts }),
      tok('"}', 0),
    ];
    const read = labelLogprobs(JSON.stringify({ label: quoted }), tokens, ["no", quoted])!;
    expect(Math.exp(read.logprob)).toBeCloseTo(0.7, 12);
    expect(read.probs![0]).toBeCloseTo(0.3, 12);
    expect(read.probs![1]).toBeCloseTo(0.7, 12);
  });

  it("an alternative listed twice counts once; the list's mass still bounds the unlisted labels", () => {
    const alts = [tok("spam", Math.log(0.6)), tok("ham", Math.log(0.2)), tok("ham", Math.log(0.1))];
    const tokens = [tok('{"label":"', 0), tok("spam", Math.log(0.6), { top_logprobs: alts }), tok('"}', 0)];
    const probs = labelLogprobs('{"label":"spam"}', tokens, ["ham", "spam", "eggs"])!.probs!;
    // ham 0.2 (not 0.3); eggs min(1 - 0.9, 0.1) = 0.1; renormalised over 0.9.
    [0.2 / 0.9, 0.6 / 0.9, 0.1 / 0.9].forEach((p, i) => {
      expect(probs[i]).toBeCloseTo(p, 12);
    });
  });

  it("an alternative that is only the structure before the label begins no label", () => {
    const alts = [tok('":"sp', Math.log(0.6)), tok('":"', Math.log(0.3)), tok('":"h', Math.log(0.1))];
    const tokens = [tok('{"label', 0), tok('":"sp', Math.log(0.6), { top_logprobs: alts }), tok('am"}', 0)];
    const probs = labelLogprobs('{"label":"spam"}', tokens, labels)!.probs!;
    expect(probs[0]).toBeCloseTo(0.1 / 0.7, 12);
    expect(probs[1]).toBeCloseTo(0.6 / 0.7, 12);
  });

  it("in bytes, alternatives without bytes are read from their token text after the lead", () => {
    const alts = [
      { token: '":"sp', logprob: Math.log(0.6) },
      { token: '":"h', logprob: Math.log(0.3) },
      { token: '"', logprob: Math.log(0.1) },
    ];
    const tokens = [tok('{"label', 0), tok('":"sp', Math.log(0.6), { top_logprobs: alts }), tok('am"}', 0)];
    const probs = labelLogprobs('{"label":"spam"}', tokens, labels)!.probs!;
    expect(probs[0]).toBeCloseTo(1 / 3, 12);
    expect(probs[1]).toBeCloseTo(2 / 3, 12);
  });
  it("a value whose escapes are not JSON's names no label: its logprob, no distribution", () => {
    const tokens = [tok('{"label":"', 0), tok("\\q", Math.log(0.5)), tok('"}', 0)];
    const read = labelLogprobs('{"label":"\\q"}', tokens, labels)!;
    expect(Math.exp(read.logprob)).toBeCloseTo(0.5, 12);
    expect(read.probs).toBeNull();
  });

  it("in token strings, alternatives are read after the structure the label's first token carries", () => {
    const plain = (token: string, logprob: number, extra: Partial<TokenLogprob> = {}) =>
      tok(token, logprob, { bytes: null, ...extra });
    const alts = [plain('":"sp', Math.log(0.6)), plain('":"h', Math.log(0.3))];
    const tokens = [
      plain('{"label', 0),
      plain('":"sp', Math.log(0.6), { top_logprobs: alts }),
      plain('am"}', 0),
    ];
    const probs = labelLogprobs('{"label":"spam"}', tokens, labels)!.probs!;
    expect(probs[0]).toBeCloseTo(1 / 3, 12);
    expect(probs[1]).toBeCloseTo(2 / 3, 12);
  });

  it("in bytes, an alternative that does not start with that structure begins no label", () => {
    const alts = [tok('":"sp', Math.log(0.6)), tok(': "h', Math.log(0.3))];
    const tokens = [tok('{"label', 0), tok('":"sp', Math.log(0.6), { top_logprobs: alts }), tok('am"}', 0)];
    const probs = labelLogprobs('{"label":"spam"}', tokens, labels)!.probs!;
    // ham is unlisted: min(1 - 0.9, 0.3) = 0.1 of it, then renormalised over 0.7.
    expect(probs[0]).toBeCloseTo(0.1 / 0.7, 12);
    expect(probs[1]).toBeCloseTo(0.6 / 0.7, 12);
  });

  it("an alternative spelling the first label exactly is that label alone, not every label it prefixes", () => {
    const three = ["pto", "pto_x", "pto_y"];
    const alts = [tok("pto_y", Math.log(0.5)), tok("pto", Math.log(0.3)), tok("pto_x", Math.log(0.2))];
    const tokens = [tok('{"label":"', 0), tok("pto_y", Math.log(0.5), { top_logprobs: alts }), tok('"}', 0)];
    const probs = labelLogprobs('{"label":"pto_y"}', tokens, three)!.probs!;
    [0.3, 0.2, 0.5].forEach((p, i) => {
      expect(probs[i]).toBeCloseTo(p, 12);
    });
  });

  it("an alternative that spells a label and closes the JSON begins that label", () => {
    const alts = [tok('spam"}', Math.log(0.7)), tok('ham"}', Math.log(0.3))];
    const tokens = [tok('{"label":"', 0), tok('spam"}', Math.log(0.7), { top_logprobs: alts })];
    const read = labelLogprobs('{"label":"spam"}', tokens, labels)!;
    expect(Math.exp(read.logprob)).toBeCloseTo(0.7, 12);
    expect(read.probs![0]).toBeCloseTo(0.3, 12);
    expect(read.probs![1]).toBeCloseTo(0.7, 12);
  });

  it("an answered prefix with no mass beyond the answered label leaves the labels it begins unlisted", () => {
    const three = ["ham", "spam", "spare"];
    const alts = [tok("sp", Math.log(0.9)), tok("h", Math.log(0.05))];
    const tokens = [
      tok('{"label":"', 0),
      tok("sp", Math.log(0.9), { top_logprobs: alts }),
      tok("am", 0),
      tok('"}', 0),
    ];
    const probs = labelLogprobs('{"label":"spam"}', tokens, three)!.probs!;
    // spare shares the 0.05 the list leaves (not 0): the server said nothing against it.
    [0.05, 0.9, 0.05].forEach((p, i) => {
      expect(probs[i]).toBeCloseTo(p, 12);
    });
  });

  it("a prefix alternative's mass is shared equally by the labels it begins", () => {
    const three = ["ham", "spam", "spare"];
    const alts = [tok("ham", Math.log(0.5)), tok("sp", Math.log(0.4))];
    const tokens = [tok('{"label":"', 0), tok("ham", Math.log(0.5), { top_logprobs: alts }), tok('"}', 0)];
    const probs = labelLogprobs('{"label":"ham"}', tokens, three)!.probs!;
    [0.5 / 0.9, 0.2 / 0.9, 0.2 / 0.9].forEach((p, i) => {
      expect(probs[i]).toBeCloseTo(p, 12);
    });
  });

  it("no distribution when every probability underflows to 0", () => {
    const alts = [tok("spam", -1000), tok("ham", -1000)];
    const tokens = [tok('{"label":"', 0), tok("spam", -1000, { top_logprobs: alts }), tok('"}', 0)];
    expect(labelLogprobs('{"label":"spam"}', tokens, labels)).toEqual({ logprob: -1000, probs: null });
  });
});
