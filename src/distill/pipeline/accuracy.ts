import { type EmbeddingBagWeights, forwardLogits } from "../../core/model.ts";
import { argmax } from "../../core/softmax.ts";

/** Top-1 accuracy of one model on bags (the validation figure each epoch reports). */
export function accuracy(w: EmbeddingBagWeights, bags: readonly Int32Array[], labels: Int32Array): number {
  const logits = new Float32Array(w.classes);
  let hits = 0;
  for (let i = 0; i < bags.length; i++) {
    forwardLogits(w, bags[i]!, logits);
    if (argmax(logits) === labels[i]) hits++;
  }
  return bags.length > 0 ? hits / bags.length : 0;
}
