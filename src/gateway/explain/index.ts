import type { FeatureName, NamedFeatures } from "../../core/featurizer.ts";
import type { Ensemble } from "../../core/model.ts";
import { linearAttribution } from "./linear.ts";
import { occlusionAttribution } from "./occlusion.ts";

/**
 * `options.explain`: which features of the text pushed a label most, computed on the student (the model
 * that runs here) for the label the answer gives. Occurrences of the same n-gram are added up, so
 * "spam spam" reports "spam" once with both occurrences' weight; word and char n-grams stay apart
 * because the word "hel" and the char n-gram "hel" are different features.
 */
export interface ExplainedFeature {
  token: string;
  kind: FeatureName["kind"];
  weight: number;
}

export type ExplainMethod = "exact-linear" | "occlusion";

export interface Explanation {
  method: ExplainMethod;
  /** Every distinct feature of the text, heaviest first. */
  features: ExplainedFeature[];
  /**
   * exact-linear only: b_c − mean_k b_k. The feature weights plus this equal the margin z_c − mean_k z_k
   * of the raw logits exactly (up to float rounding). Null for occlusion, whose weights are not additive.
   */
  bias: number | null;
}

export const DEFAULT_TOP_K = 8;

/** Positions of each distinct (kind, text) in bag order of first appearance. */
function groupOccurrences(names: readonly FeatureName[]): { name: FeatureName; positions: number[] }[] {
  const groups = new Map<string, { name: FeatureName; positions: number[] }>();
  names.forEach((name, i) => {
    const key = `${name.kind}\u0000${name.text}`;
    const group = groups.get(key);
    if (group) group.positions.push(i);
    else groups.set(key, { name, positions: [i] });
  });
  return [...groups.values()];
}

export function explain(members: Ensemble, features: NamedFeatures, classIndex: number): Explanation {
  const groups = groupOccurrences(features.names);
  const only = members[0];
  if (!only) throw new Error("explain: empty ensemble");
  let weights: ArrayLike<number>;
  let bias: number | null = null;
  let method: ExplainMethod;
  if (members.length === 1 && only.hidden === 0) {
    const linear = linearAttribution(only, features.ids, classIndex);
    weights = groups.map((g) => g.positions.reduce((sum, i) => sum + linear.terms[i]!, 0));
    bias = linear.bias;
    method = "exact-linear";
  } else {
    weights = occlusionAttribution(
      members,
      features.ids,
      groups.map((g) => g.positions),
      classIndex,
    ).weights;
    method = "occlusion";
  }
  const explained = groups.map((g, i) => ({ token: g.name.text, kind: g.name.kind, weight: weights[i]! }));
  explained.sort((a, b) => b.weight - a.weight);
  return { method, features: explained, bias };
}

/** The k features that pushed the label most (positive weights only: the ones that argued for it). */
export function topFeatures(explanation: Explanation, k = DEFAULT_TOP_K): ExplainedFeature[] {
  return explanation.features.filter((f) => f.weight > 0).slice(0, k);
}
