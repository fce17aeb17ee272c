import { featurize } from "../../core/featurizer.ts";
import { studentVerdict } from "../cascade/decide.ts";
import type { ModelSet } from "../models/model-set.ts";

/**
 * A shadow version's answers to texts: its own featuriser, one session run, the argmax of its
 * calibrated probabilities. It runs after the response (in ctx.waitUntil), so it never delays or
 * changes an answer; a failure only loses the shadow's evidence for that request.
 */
export async function shadowLabels(
  models: ModelSet,
  name: string,
  texts: readonly string[],
): Promise<string[]> {
  const loaded = await models.load(name);
  const { manifest } = loaded;
  const rows = await loaded.logits(texts.map((t) => featurize(t, manifest.featurizer)));
  return rows.map((row) => studentVerdict(row, manifest).label);
}
