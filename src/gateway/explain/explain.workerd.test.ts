import { describe, expect, it } from "vitest";
import { randomEnsemble, randomModel, seededRandom } from "../../../test/helpers/ensemble.ts";
import { testFeaturizer } from "../../../test/helpers/featurizer-cases.ts";
import { featurizeNamed } from "../../core/featurizer.ts";
import { type EmbeddingBagWeights, ensembleLogits, forwardLogits } from "../../core/model.ts";
import { explain, topFeatures } from "./index.ts";
import { marginOf } from "./occlusion.ts";

/**
 * Explanations on small random models, against the forward pass of src/core/model.ts: the linear
 * decomposition must add up to the logit margin, and occlusion must equal actually removing a feature.
 * (test/workerd/gateway-classify.test.ts checks the same on the shipped students through the ONNX graph.)
 */
const CONFIG = testFeaturizer({ charNgrams: { min: 3, max: 4 }, buckets: 97, seed: 3 });
const TEXTS = ["you have won a free prize", "spam spam spam", "book a table for two at noon", "ok"];

const margin = (members: EmbeddingBagWeights[], ids: Int32Array, c: number): number => {
  const out = new Float32Array(members[0]!.classes);
  if (members.length === 1) forwardLogits(members[0]!, ids, out);
  else ensembleLogits(members, ids, out);
  return marginOf(out, c);
};

describe("exact linear explanation (hidden = 0, one member)", () => {
  it("bias plus every feature weight reconstructs z_c − mean_k z_k, for every class", () => {
    const model = randomModel(seededRandom(1), { buckets: 97, dim: 6, hidden: 0, classes: 5 });
    for (const text of TEXTS) {
      const named = featurizeNamed(text, CONFIG);
      for (let c = 0; c < 5; c++) {
        const e = explain([model], named, c);
        expect(e.method).toBe("exact-linear");
        const total = e.bias! + e.features.reduce((s, f) => s + f.weight, 0);
        expect(Math.abs(total - margin([model], named.ids, c))).toBeLessThan(1e-5);
      }
    }
  });

  it("adds up repeated n-grams into one entry, keeps word and char n-grams apart, sorts by weight", () => {
    const model = randomModel(seededRandom(2), { buckets: 97, dim: 4, hidden: 0, classes: 3 });
    const named = featurizeNamed("spam spam spam", CONFIG);
    const e = explain([model], named, 1);
    const keys = e.features.map((f) => `${f.kind}:${f.token}`);
    expect(new Set(keys).size).toBe(keys.length);
    expect(keys).toContain("word:spam");
    expect(keys).toContain("word:spam spam");
    expect(keys).toContain("char:<spa");
    // "spam" occurs 3 times: its entry is three identical occurrences' worth.
    const once = explain(
      [model],
      featurizeNamed("spam", { ...CONFIG, charNgrams: null, wordNgrams: [1] }),
      1,
    );
    const word = e.features.find((f) => f.kind === "word" && f.token === "spam")!;
    const single = once.features[0]!;
    // Same embedding row; each occurrence weighs 1/n of the bag: 3 × (1/9) vs 1 × (1/1).
    expect(word.weight).toBeCloseTo(single.weight * (3 / named.ids.length), 6);
    for (let i = 1; i < e.features.length; i++)
      expect(e.features[i - 1]!.weight).toBeGreaterThanOrEqual(e.features[i]!.weight);
  });

  it("an empty bag explains nothing and the bias is the whole margin", () => {
    const model = randomModel(seededRandom(3), { buckets: 97, dim: 4, hidden: 0, classes: 3 });
    const e = explain([model], featurizeNamed("", CONFIG), 2);
    expect(e.features).toEqual([]);
    expect(Math.abs(e.bias! - margin([model], new Int32Array(0), 2))).toBeLessThan(1e-6);
  });
});

describe("occlusion explanation (hidden layer or ensemble)", () => {
  const cases = [
    {
      name: "hidden 5",
      members: [randomModel(seededRandom(4), { buckets: 97, dim: 6, hidden: 5, classes: 4 })],
    },
    {
      name: "3-member ensemble",
      members: randomEnsemble(seededRandom(5), { buckets: 97, dim: 6, hidden: 0, classes: 4 }, 3),
    },
  ];
  it.each(cases)("$name: each weight is the margin lost by removing that feature", ({ members }) => {
    for (const text of TEXTS) {
      const named = featurizeNamed(text, CONFIG);
      const c = 2;
      const e = explain(members, named, c);
      expect(e.method).toBe("occlusion");
      expect(e.bias).toBeNull();
      const full = margin(members, named.ids, c);
      for (const f of e.features) {
        const kept = named.ids.filter(
          (_, i) => !(named.names[i]!.kind === f.kind && named.names[i]!.text === f.token),
        );
        expect(Math.abs(f.weight - (full - margin(members, kept, c)))).toBeLessThan(1e-4);
      }
    }
  });
});

describe("topFeatures", () => {
  it("keeps the k heaviest features that argued for the label", () => {
    const model = randomModel(seededRandom(6), { buckets: 97, dim: 6, hidden: 0, classes: 3 });
    const e = explain([model], featurizeNamed("book a table for two at noon", CONFIG), 0);
    const top = topFeatures(e, 4);
    expect(top.length).toBeLessThanOrEqual(4);
    expect(top).toEqual(e.features.filter((f) => f.weight > 0).slice(0, 4));
    expect(topFeatures(e).length).toBeLessThanOrEqual(8);
  });
});
