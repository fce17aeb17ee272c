import { describe, expect, it } from "vitest";
import { createEnsembleScratch, type EmbeddingBagWeights, ensembleLogits } from "../../core/model.ts";
import { mulberry32 } from "../../core/random.ts";
import { initWeights } from "../train/trainer.ts";
import { CHUNK, ensembleLogitsOnThreads } from "./parallel-logits.ts";

const CLASSES = 5;
const BUCKETS = 64;
// Members may differ in width: only buckets and classes must agree (the exporter's rule).
const members: EmbeddingBagWeights[] = [
  initWeights({ buckets: BUCKETS, dim: 8, hidden: 0, classes: CLASSES }, 1),
  initWeights({ buckets: BUCKETS, dim: 5, hidden: 6, classes: CLASSES }, 2),
  initWeights({ buckets: BUCKETS, dim: 8, hidden: 0, classes: CLASSES }, 3),
];

function randomBags(count: number, seed: number): Int32Array[] {
  const rng = mulberry32(seed);
  return Array.from({ length: count }, () =>
    Int32Array.from({ length: Math.floor(rng() * 12) }, () => Math.floor(rng() * BUCKETS)),
  );
}

const oneByOne = (ensemble: readonly EmbeddingBagWeights[], bags: readonly Int32Array[]) =>
  bags.map((ids) => {
    const out = new Float32Array(CLASSES);
    ensembleLogits(ensemble, ids, out);
    return Array.from(out);
  });

describe("ensembleLogitsOnThreads", () => {
  it("gives each bag exactly the logits ensembleLogits gives it alone, over many chunks", async () => {
    const bags = randomBags(9 * CHUNK + 17, 7); // empty bags included
    const logits = await ensembleLogitsOnThreads(members, bags);
    expect(logits.map((l) => Array.from(l))).toEqual(oneByOne(members, bags));
  }, 30_000);

  it("serves a single model as its plain logits, and no bags as none", async () => {
    const bags = randomBags(40, 8);
    const logits = await ensembleLogitsOnThreads([members[1]!], bags);
    expect(logits.map((l) => Array.from(l))).toEqual(oneByOne([members[1]!], bags));
    expect(await ensembleLogitsOnThreads(members, [])).toEqual([]);
  }, 30_000);
});

describe("ensembleLogits with a reused scratch", () => {
  it("gives the same logits as with a fresh one, call after call", () => {
    const scratch = createEnsembleScratch(members);
    const bags = randomBags(50, 9);
    const reused = bags.map((ids) => {
      const out = new Float32Array(CLASSES);
      ensembleLogits(members, ids, out, scratch);
      return Array.from(out);
    });
    expect(reused).toEqual(oneByOne(members, bags));
  });
});
