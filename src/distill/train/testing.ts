/** Test helpers for the trainers (trainer.test.ts, pipeline/parallel-*.test.ts); not shipped code. */
import { mulberry32 } from "../../core/random.ts";
import type { TrainSet } from "./trainer.ts";

/** A toy problem: each class has two keyword ids; every bag adds shared noise ids. */
export function toyProblem(classes: number, perClass: number, seed: number): TrainSet {
  const rng = mulberry32(seed);
  const bags: Int32Array[] = [];
  const labels: number[] = [];
  const noise = 2 * classes; // ids [2·classes, 2·classes + 4) are noise shared by every class
  for (let c = 0; c < classes; c++) {
    for (let i = 0; i < perClass; i++) {
      const keyword = 2 * c + (rng() < 0.5 ? 0 : 1);
      const bag = [keyword];
      const extra = 1 + Math.floor(rng() * 3);
      for (let k = 0; k < extra; k++) bag.push(noise + Math.floor(rng() * 4));
      bags.push(Int32Array.from(bag));
      labels.push(c);
    }
  }
  return { bags, labels: Int32Array.from(labels), teacherLogits: null, weights: null };
}
