import fc from "fast-check";
import { describe, expect, it } from "vitest";
import golden from "../../test/fixtures/featurizer-golden.json";
import {
  computeGolden,
  FEATURIZER_CASES,
  GOLDEN_CONFIG,
  testFeaturizer,
} from "../../test/helpers/featurizer-cases.ts";
import { FeaturizerConfig, featurize, normalizeText, tokenize } from "./featurizer.ts";
import { fmix32, fnvByte, fnvCodePoint, fnvInit, hashString } from "./hash.ts";

const BASE = testFeaturizer({
  charNgrams: { min: 3, max: 3 },
  buckets: 1000,
  seed: 7,
  maxChars: 200,
  maxFeatures: 64,
});

const cfg = (overrides: Partial<FeaturizerConfig> = {}): FeaturizerConfig => ({ ...BASE, ...overrides });
const ids = (text: string, config: FeaturizerConfig = BASE): number[] => Array.from(featurize(text, config));

describe("featurize: golden ids", () => {
  // Frozen once from the implementation. Any change to normalisation, tokenisation, hashing, seeds or
  // feature order moves these and silently invalidates every shipped model: such a change needs a new
  // featuriser `version`, not an edit of these numbers.
  it.each([
    ["hello world", [651, 215, 821, 897, 336, 805, 634, 936, 470, 937, 823, 940, 928]],
    ["Hi!", [818, 643, 114, 117, 305]],
    ["naïve café", [997, 238, 555, 110, 950, 200, 264, 350, 478, 948, 690, 308]],
    ["東京", [268, 216, 857]],
    ["👍🏽", [905, 584, 179]],
    ["a b c", [502, 67, 878, 981, 469]],
  ])("%j", (text, expected) => {
    expect(ids(text)).toEqual(expected);
  });

  it("emits word unigrams, then bigrams, then character n-grams of each '<word>'", () => {
    // "a b c": three unigrams and two bigrams; "<a>" is a whole word, so no 3-gram.
    expect(tokenize("a b c", BASE)).toEqual([[97], [98], [99]]);
    expect(ids("a b c")).toHaveLength(5);
    // "hello world": 2 unigrams + 1 bigram + 5 trigrams of "<hello>" + 5 of "<world>".
    expect(ids("hello world")).toHaveLength(13);
    expect(ids("hello world", cfg({ charNgrams: null }))).toEqual(ids("hello world").slice(0, 3));
    expect(ids("hello world", cfg({ wordNgrams: [1] }))).toEqual([
      ...ids("hello world").slice(0, 2),
      ...ids("hello world").slice(3),
    ]);
  });

  it("keeps duplicate features (the model pools them as counts)", () => {
    const [spam] = ids("spam", cfg({ charNgrams: null }));
    expect(ids("spam spam spam", cfg({ charNgrams: null, wordNgrams: [1] }))).toEqual([spam, spam, spam]);
  });
});

describe("featurize: cross-runtime golden fixture", () => {
  it("the fixture holds exactly the shared cases under the shared config", () => {
    expect(golden.config).toEqual(GOLDEN_CONFIG);
    expect(golden.cases.map((c) => c.name)).toEqual(FEATURIZER_CASES.map((c) => c.name));
  });

  it.each(golden.cases.map((c) => [c.name, c.ids] as const))("%s", (name, expected) => {
    const actual = computeGolden().cases.find((c) => c.name === name);
    expect(actual?.ids).toEqual(expected);
  });

  it("covers empty, capped and ordinary outputs", () => {
    const byName = new Map(golden.cases.map((c) => [c.name, c.ids]));
    expect(byName.get("empty")).toEqual([]);
    expect(byName.get("whitespace only")).toEqual([]);
    expect(byName.get("very long input")).toHaveLength(GOLDEN_CONFIG.maxFeatures);
    for (const c of golden.cases) {
      if (c.name === "empty" || c.name === "whitespace only") continue;
      expect(c.ids.length, c.name).toBeGreaterThan(0);
    }
  });
});

describe("featurize: normalisation", () => {
  it("NFKC folds ligatures and full-width forms into their plain letters", () => {
    expect(ids("ﬁnance")).toEqual(ids("finance"));
    expect(ids("ＡＢＣ１２３ ｈｅｌｌｏ")).toEqual(ids("abc123 hello"));
    expect(ids("①")).toEqual(ids("1"));
    // Without normalisation they stay distinct.
    expect(ids("ﬁnance", cfg({ normalization: "none" }))).not.toEqual(
      ids("finance", cfg({ normalization: "none" })),
    );
    // NFC composes but does not fold compatibility characters.
    expect(ids("ﬁnance", cfg({ normalization: "NFC" }))).not.toEqual(
      ids("finance", cfg({ normalization: "NFC" })),
    );
  });

  it("treats a base letter plus combining mark like the precomposed letter under NFKC and NFC", () => {
    const decomposed = "cafe\u0301";
    const precomposed = "caf\u00e9";
    expect(decomposed).not.toBe(precomposed);
    expect(ids(decomposed)).toEqual(ids(precomposed));
    expect(ids(decomposed, cfg({ normalization: "NFC" }))).toEqual(
      ids(precomposed, cfg({ normalization: "NFC" })),
    );
    expect(ids(decomposed, cfg({ normalization: "none" }))).not.toEqual(
      ids(precomposed, cfg({ normalization: "none" })),
    );
    // The combining mark stays inside the word rather than splitting it.
    expect(tokenize(decomposed, cfg({ normalization: "none" }))).toHaveLength(1);
  });

  it("lowercases when configured, and only then", () => {
    expect(ids("HELLO World")).toEqual(ids("hello world"));
    expect(ids("ÉCOLE")).toEqual(ids("école"));
    expect(ids("HELLO", cfg({ lowercase: false }))).not.toEqual(ids("hello", cfg({ lowercase: false })));
  });

  it("uses locale-independent case mapping (Turkish İ, German ß)", () => {
    expect(normalizeText("İ", BASE)).toBe("i\u0307");
    expect(normalizeText("I", BASE)).toBe("i");
    expect(normalizeText("STRASSE ẞ", BASE)).toBe("strasse ß");
    expect(ids("Straße")).not.toEqual(ids("strasse"));
  });

  it("collapses and trims every kind of whitespace", () => {
    expect(normalizeText("  hello \t\n\r  world  ", BASE)).toBe("hello world");
    expect(ids("  hello \t\n  world  ")).toEqual(ids("hello world"));
    // No-break and ideographic spaces separate words even without normalisation.
    const none = cfg({ normalization: "none" });
    expect(ids("hello\u00a0world", none)).toEqual(ids("hello world", none));
    expect(ids("hello\u3000world", none)).toEqual(ids("hello world", none));
    expect(ids(" \t\n ")).toEqual([]);
    expect(ids("")).toEqual([]);
  });
});

describe("featurize: scripts and symbols", () => {
  it("gives CJK text features, one token per run of letters", () => {
    expect(tokenize("東京タワー", BASE)).toHaveLength(1);
    expect(ids("東京タワー").length).toBeGreaterThan(0);
    expect(ids("東京")).not.toEqual(ids("京都"));
  });

  it("makes each emoji (and each skin-tone modifier) a token of its own", () => {
    expect(tokenize("great👍🏽", BASE)).toEqual([
      [...Array.from("great", (c) => c.codePointAt(0)!)],
      [0x1f44d],
      [0x1f3fd],
    ]);
    expect(ids("👍").length).toBeGreaterThan(0);
    expect(ids("👍")).not.toEqual(ids("👎"));
  });

  it("turns punctuation into single-symbol tokens", () => {
    expect(tokenize("wait?!", BASE)).toEqual([[119, 97, 105, 116], [63], [33]]);
    expect(ids("?!").length).toBeGreaterThan(0);
  });

  it("hashes lone surrogates without throwing", () => {
    expect(() => featurize("x\ud800y \udc00", BASE)).not.toThrow();
    expect(ids("x\ud800y")).not.toEqual(ids("xy"));
  });
});

describe("featurize: limits", () => {
  it("cuts the text to maxChars code points after normalisation", () => {
    const c = cfg({ maxChars: 10 });
    // "abc defgh ijkl" → "abc defgh " → two words.
    expect(tokenize("abc defgh ijkl", c)).toHaveLength(2);
    expect(ids("abc defgh ijkl", c)).toEqual(ids("abc defgh", c));
    // An astral emoji is one code point, not two UTF-16 units.
    expect(tokenize("😀😀😀", cfg({ maxChars: 2 }))).toHaveLength(2);
    // The cut applies to the normalised text: "ﬁ" becomes two characters first.
    expect(tokenize("ﬁx", cfg({ maxChars: 2 }))).toEqual([[102, 105]]);
  });

  it("cuts a 100k-character input and returns quickly", () => {
    const huge = "lorem ipsum ".repeat(9000).slice(0, 100_000);
    const c = cfg({ maxChars: 1000, maxFeatures: 100_000 });
    const started = performance.now();
    const out = featurize(huge, c);
    const elapsed = performance.now() - started;
    expect(out).toEqual(featurize(huge.slice(0, 1000), c));
    expect(elapsed).toBeLessThan(500);
  });

  it("stops at maxFeatures, keeping the first features in order", () => {
    const text = "one two three four five six";
    const all = ids(text, cfg({ maxFeatures: 10_000 }));
    expect(all.length).toBeGreaterThan(20);
    for (const cap of [1, 3, 6, 7, 20])
      expect(ids(text, cfg({ maxFeatures: cap }))).toEqual(all.slice(0, cap));
    // Exactly at the number of features: nothing is lost.
    expect(ids(text, cfg({ maxFeatures: all.length }))).toEqual(all);
  });

  it("keeps every id an integer in [0, buckets) for any input", () => {
    // Any UTF-16 units (lone surrogates included) and any code points.
    const anyUtf16 = fc.string({
      unit: fc.integer({ min: 0, max: 0xffff }).map((u) => String.fromCharCode(u)),
      maxLength: 40,
    });
    const anyCodePoints = fc.string({
      unit: fc.integer({ min: 0, max: 0x10ffff }).map((cp) => String.fromCodePoint(cp)),
      maxLength: 40,
    });
    const wordy = fc.string({
      unit: fc.constantFrom("a", "B", " ", "é", "\u0301", "東", "😀", "!", "\n"),
      maxLength: 60,
    });
    fc.assert(
      fc.property(
        fc.oneof(anyUtf16, anyCodePoints, wordy),
        fc.integer({ min: 2, max: 97 }),
        (text, buckets) =>
          featurize(text, cfg({ buckets })).every((id) => Number.isInteger(id) && id >= 0 && id < buckets),
      ),
      { numRuns: 300 },
    );
    // The largest allowed bucket count, where a signed 32-bit slip would show as negative ids.
    const big = featurize("the quick brown fox jumps over the lazy dog", cfg({ buckets: 1 << 24 }));
    expect(big.every((id) => id >= 0 && id < 1 << 24)).toBe(true);
  });
});

describe("featurize: configuration", () => {
  it("different seeds give different ids", () => {
    const text = "book a table for two";
    expect(ids(text, cfg({ seed: 1 }))).not.toEqual(ids(text, cfg({ seed: 2 })));
    expect(ids(text, cfg({ seed: 1 }))).toEqual(ids(text, cfg({ seed: 1 })));
  });

  it("accepts a valid config and rejects bad ones", () => {
    expect(FeaturizerConfig.safeParse(BASE).success).toBe(true);
    expect(FeaturizerConfig.safeParse(GOLDEN_CONFIG).success).toBe(true);
    expect(FeaturizerConfig.safeParse(cfg({ charNgrams: null })).success).toBe(true);
    const bad: Record<string, unknown>[] = [
      { charNgrams: { min: 4, max: 2 } },
      { charNgrams: { min: 0, max: 2 } },
      { charNgrams: { min: 2, max: 9 } },
      { charNgrams: { min: 1.5, max: 2 } },
      { wordNgrams: [] },
      { wordNgrams: [0] },
      { wordNgrams: [5] },
      { buckets: 1 },
      { buckets: (1 << 24) + 1 },
      { seed: -1 },
      { seed: 2 ** 32 },
      { maxChars: 0 },
      { maxFeatures: 0 },
      { normalization: "NFD" },
      { version: 2 },
      { extra: true },
    ];
    for (const overrides of bad) {
      expect(FeaturizerConfig.safeParse({ ...BASE, ...overrides }).success, JSON.stringify(overrides)).toBe(
        false,
      );
    }
    const reversed = FeaturizerConfig.safeParse({ ...BASE, charNgrams: { min: 4, max: 2 } });
    expect(reversed.error?.issues[0]?.message).toContain("charNgrams.min must not exceed charNgrams.max");
  });
});

describe("hash", () => {
  const fnvBytes = (bytes: Iterable<number>, seed = 0): number => {
    let h = fnvInit(seed);
    for (const b of bytes) h = fnvByte(h, b);
    return h;
  };

  it("is FNV-1a 32 (published test vectors)", () => {
    const utf8 = (s: string) => new TextEncoder().encode(s);
    expect(fnvInit(0)).toBe(0x811c9dc5);
    expect(fnvBytes(utf8(""))).toBe(0x811c9dc5);
    expect(fnvBytes(utf8("a"))).toBe(0xe40c292c);
    expect(fnvBytes(utf8("foobar"))).toBe(0xbf9cf968);
  });

  it("finalises with murmur3 fmix32", () => {
    expect(fmix32(0)).toBe(0);
    expect(fmix32(1)).toBe(1364076727);
    expect(hashString("a")).toBe(fmix32(0xe40c292c));
  });

  it("hashString values are stable", () => {
    expect(hashString("")).toBe(2872998923);
    expect(hashString("a")).toBe(444641715);
    expect(hashString("hello")).toBe(2290972270);
    expect(hashString("hello", 1)).toBe(74666943);
    expect(hashString("é")).toBe(2387039943);
    expect(hashString("€")).toBe(199267061);
    expect(hashString("😀")).toBe(855877642);
    expect(hashString("hello world", 42)).toBe(367075265);
  });

  it("feeds each code point as its UTF-8 bytes (1 to 4 bytes)", () => {
    const boundaries = [0x00, 0x41, 0x7f, 0x80, 0xe9, 0x7ff, 0x800, 0x20ac, 0xd7ff, 0xe000, 0xfffd, 0xffff];
    const astral = [0x10000, 0x1f600, 0x1f3fd, 0x10ffff];
    const encoder = new TextEncoder();
    for (const cp of [...boundaries, ...astral]) {
      const bytes = encoder.encode(String.fromCodePoint(cp));
      for (const seed of [0, 12345]) {
        const h0 = fnvInit(seed);
        expect(fnvCodePoint(h0, cp), `U+${cp.toString(16)}`).toBe(fnvBytes(bytes, seed));
      }
    }
    const text = "aé€😀 東京 👨‍👩‍👧";
    expect(hashString(text, 9)).toBe(fmix32(fnvBytes(encoder.encode(text), 9)));
  });
});
