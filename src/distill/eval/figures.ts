import type { ClassFigures, ClassifierFigures } from "./types.ts";

/**
 * Accuracy over everything, over in-scope examples only, and recall of the out-of-scope label; with
 * weights (1 / P(logged) of logged records) each example counts as its weight.
 */
export function classifierFigures(
  gold: Int32Array,
  predicted: Int32Array,
  oosIndex: number,
  weights?: ArrayLike<number>,
): ClassifierFigures {
  let total = 0;
  let correct = 0;
  let inScope = 0;
  let inScopeCorrect = 0;
  let oos = 0;
  let oosCorrect = 0;
  for (let i = 0; i < gold.length; i++) {
    const w = weights ? weights[i]! : 1;
    const hit = gold[i] === predicted[i] ? w : 0;
    total += w;
    correct += hit;
    if (gold[i] === oosIndex) {
      oos += w;
      oosCorrect += hit;
    } else {
      inScope += w;
      inScopeCorrect += hit;
    }
  }
  return {
    accuracy: ratio(correct, total),
    in_scope_accuracy: ratio(inScopeCorrect, inScope),
    oos_recall: oosIndex >= 0 ? ratio(oosCorrect, oos) : null,
  };
}

/**
 * Per-label precision, recall, F1 and the most frequent confusion, worst F1 first. With weights the
 * rates and the confusion count are weighted; support stays the number of examples.
 */
export function perClassFigures(
  gold: Int32Array,
  predicted: Int32Array,
  labels: readonly string[],
  weights?: ArrayLike<number>,
): ClassFigures[] {
  const C = labels.length;
  const confusion = new Float64Array(C * C);
  const examples = new Int32Array(C);
  for (let i = 0; i < gold.length; i++) {
    confusion[gold[i]! * C + predicted[i]!]! += weights ? weights[i]! : 1;
    examples[gold[i]!]!++;
  }
  const figures: ClassFigures[] = [];
  for (let k = 0; k < C; k++) {
    let mass = 0;
    let predictedAs = 0;
    let worst = -1;
    for (let j = 0; j < C; j++) {
      mass += confusion[k * C + j]!;
      predictedAs += confusion[j * C + k]!;
      if (
        j !== k &&
        confusion[k * C + j]! > 0 &&
        (worst < 0 || confusion[k * C + j]! > confusion[k * C + worst]!)
      )
        worst = j;
    }
    if (examples[k] === 0) continue;
    const tp = confusion[k * C + k]!;
    const precision = ratio(tp, predictedAs);
    const recall = ratio(tp, mass);
    figures.push({
      label: labels[k]!,
      support: examples[k]!,
      precision,
      recall,
      f1: precision + recall > 0 ? (2 * precision * recall) / (precision + recall) : 0,
      confusedWith: worst >= 0 ? { label: labels[worst]!, count: confusion[k * C + worst]! } : null,
    });
  }
  return figures.sort((a, b) => a.f1 - b.f1 || a.label.localeCompare(b.label));
}

export function ratio(a: number, b: number): number {
  return b > 0 ? a / b : 0;
}
