import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { FEATURIZER_CASES, GOLDEN_CONFIG, testFeaturizer } from "../../test/helpers/featurizer-cases.ts";
import { type FeaturizerConfig, featurize, featurizeNamed } from "./featurizer.ts";

/**
 * featurizeNamed is a second walk over the text that also names each feature (for explanations). It
 * must give exactly featurize()'s ids, in the same order, or explanations would describe a different
 * bag than the model saw.
 */
const BASE = testFeaturizer({});

const sameIds = (text: string, config: FeaturizerConfig): void => {
  const named = featurizeNamed(text, config);
  expect(Array.from(named.ids)).toEqual(Array.from(featurize(text, config)));
  expect(named.names).toHaveLength(named.ids.length);
};

describe("featurizeNamed", () => {
  it("gives featurize()'s ids on every shared tricky input", () => {
    for (const { text } of FEATURIZER_CASES) {
      sameIds(text, GOLDEN_CONFIG);
      sameIds(text, BASE);
    }
  });

  it("gives featurize()'s ids for any text and config (property)", () => {
    const text = fc.oneof(
      fc.string({ maxLength: 60 }),
      fc.string({ unit: "grapheme", maxLength: 40 }),
      fc.string({
        unit: fc.constantFrom("a", "B", " ", "é", "\u0301", "東", "😀", "!", "\n", "\ud800"),
        maxLength: 60,
      }),
    );
    const config = fc.record({
      wordNgrams: fc.uniqueArray(fc.integer({ min: 1, max: 4 }), { minLength: 1, maxLength: 4 }),
      charNgrams: fc.option(
        fc.tuple(fc.integer({ min: 1, max: 8 }), fc.integer({ min: 1, max: 8 })).map(([a, b]) => ({
          min: Math.min(a, b),
          max: Math.max(a, b),
        })),
      ),
      buckets: fc.integer({ min: 2, max: 1 << 20 }),
      seed: fc.integer({ min: 0, max: 0xffffffff }),
      maxChars: fc.integer({ min: 1, max: 80 }),
      maxFeatures: fc.integer({ min: 1, max: 200 }),
      lowercase: fc.boolean(),
      normalization: fc.constantFrom("NFKC" as const, "NFC" as const, "none" as const),
    });
    fc.assert(
      fc.property(text, config, (t, overrides) => {
        sameIds(t, { ...BASE, ...overrides });
      }),
      { numRuns: 500 },
    );
  });

  it("names words, bigrams and '<word>' char n-grams in featurize()'s order", () => {
    const { names } = featurizeNamed("Hello World", { ...BASE, charNgrams: { min: 3, max: 3 } });
    expect(names.map((n) => `${n.kind}:${n.text}`)).toEqual([
      "word:hello",
      "word:world",
      "word:hello world",
      ...["<he", "hel", "ell", "llo", "lo>"].map((t) => `char:${t}`),
      ...["<wo", "wor", "orl", "rld", "ld>"].map((t) => `char:${t}`),
    ]);
  });

  it("stops at maxFeatures with names and ids still aligned", () => {
    const all = featurizeNamed("one two three four", BASE);
    const capped = featurizeNamed("one two three four", { ...BASE, maxFeatures: 7 });
    expect(Array.from(capped.ids)).toEqual(Array.from(all.ids.slice(0, 7)));
    expect(capped.names).toEqual(all.names.slice(0, 7));
  });
});
