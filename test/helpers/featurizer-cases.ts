import { type FeaturizerConfig, featurize } from "../../src/core/featurizer.ts";

/**
 * Tricky inputs for the featuriser, shared by the Node golden test (src/core/featurizer.test.ts) and
 * the workerd one (test/workerd/featurizer.test.ts). Both compare against the frozen ids in
 * test/fixtures/featurizer-golden.json, written by test/fixtures/make-featurizer-golden.ts: equal ids in
 * both runtimes prove the Worker featurises exactly as the toolkit trained. Normalisation and case
 * mapping go through each runtime's ICU, so this is where a Unicode-table difference would show up.
 *
 * Adding a case means regenerating the fixture (and reviewing the diff: existing ids must not move).
 */
/** A featuriser config for tests: the shipped defaults with the given fields changed. */
export function testFeaturizer(overrides: Partial<FeaturizerConfig>): FeaturizerConfig {
  return {
    kind: "hashed-ngrams",
    version: 1,
    normalization: "NFKC",
    lowercase: true,
    wordNgrams: [1, 2],
    charNgrams: { min: 3, max: 5 },
    buckets: 32768,
    seed: 42,
    maxChars: 1000,
    maxFeatures: 1024,
    ...overrides,
  };
}

export const GOLDEN_CONFIG: FeaturizerConfig = {
  kind: "hashed-ngrams",
  version: 1,
  normalization: "NFKC",
  lowercase: true,
  wordNgrams: [1, 2],
  charNgrams: { min: 2, max: 4 },
  buckets: 1 << 20,
  seed: 42,
  maxChars: 1000,
  maxFeatures: 512,
};

export interface FeaturizerCase {
  name: string;
  text: string;
}

export const FEATURIZER_CASES: readonly FeaturizerCase[] = [
  { name: "empty", text: "" },
  { name: "whitespace only", text: " \t\n\r\u00a0\u3000 " },
  { name: "punctuation only", text: "?!...,;:—«»" },
  { name: "plain english", text: "Book me a flight to Paris, please!" },
  { name: "mixed case and digits", text: "Order #A123 SHIPS in 2 days" },
  { name: "emoji with skin tone", text: "great job 👍🏽 thanks 👋🏿" },
  { name: "emoji zwj family", text: "family 👨‍👩‍👧‍👦 photo" },
  { name: "emoji zwj flag and keycap", text: "🏳️‍🌈 pride 1️⃣ #️⃣" },
  { name: "regional indicator flags", text: "🇩🇪🇫🇷 travel" },
  { name: "japanese", text: "東京タワーに行きたいです" },
  { name: "chinese", text: "我想订一张去北京的机票" },
  { name: "korean", text: "오늘 날씨 어때요" },
  { name: "arabic", text: "مرحبا بالعالم، كيف حالك؟" },
  { name: "hebrew", text: "שלום עולם" },
  { name: "devanagari", text: "नमस्ते दुनिया" },
  { name: "combining acute", text: "cafe\u0301 ole\u0301" },
  { name: "precomposed acute", text: "café olé" },
  { name: "stacked combining marks", text: "Z\u0351\u036b\u0343a\u0310\u0352l\u0346g\u0344o" },
  { name: "turkish dotted and dotless i", text: "İstanbul IĞDIR ıi" },
  { name: "german sharp s", text: "Straße STRASSE ẞ groß" },
  { name: "greek final sigma", text: "ΟΔΟΣ ΣΟΦΟΣ" },
  { name: "ligatures and full width", text: "ﬁnance ﬂow ＡＢＣ１２３ ｈｅｌｌｏ" },
  { name: "compatibility symbols", text: "① ㎏ ℃ Ω ½ ™ ㍻" },
  { name: "zero width characters", text: "a\u200bb c\u200dd e\ufeff" },
  { name: "lone surrogates", text: "x\ud800y \udc00 z\ud83d" },
  { name: "very long input", text: "lorem ipsum dolor sit amet ".repeat(400) },
];

export interface GoldenCase {
  name: string;
  ids: number[];
}

export interface FeaturizerGolden {
  config: FeaturizerConfig;
  cases: GoldenCase[];
}

/** The ids of every case under GOLDEN_CONFIG, as plain arrays (JSON-friendly). */
export function computeGolden(): FeaturizerGolden {
  return {
    config: GOLDEN_CONFIG,
    cases: FEATURIZER_CASES.map(({ name, text }) => ({
      name,
      ids: Array.from(featurize(text, GOLDEN_CONFIG)),
    })),
  };
}
