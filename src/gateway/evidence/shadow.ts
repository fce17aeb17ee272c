import { featurize } from "../../core/featurizer.ts";
import type { AnsweredBatch } from "../answered.ts";
import { studentVerdict } from "../cascade/decide.ts";
import type { AppContext } from "../context.ts";
import type { ModelCatalog, Shadowing } from "../models/catalog.ts";
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

/** The shadow's label for every text of a request, by index. */
export interface ShadowAnswers {
  version: string;
  labels: string[];
}

/**
 * A request's shadow run, shared by its listeners: the answer trail keeps the labels for feedback, the
 * agreement count compares them with the teacher's. The first caller starts the one run over all the
 * request's texts (call it only after the response); null when the request is not in the shadow's share,
 * was not served by the live version, or the run failed.
 */
export type ShadowRun = (batch: AnsweredBatch) => Promise<ShadowAnswers | null>;

export function shadowRun(c: AppContext, catalog: ModelCatalog): ShadowRun {
  const env = c.env;
  const ttlMs = c.var.services.config.registry.ttlMs;
  const requestId = c.var.requestId;
  // Keyed by batch: a route hands over one batch per request, but a second must not get the first's labels.
  const runs = new WeakMap<AnsweredBatch, Promise<ShadowAnswers | null>>();
  return (batch) => {
    let run = runs.get(batch);
    if (!run) {
      run = runShadow(batch, () => catalog.shadowFor(env, ttlMs, batch.model.name, requestId));
      runs.set(batch, run);
    }
    return run;
  };
}

async function runShadow(
  batch: AnsweredBatch,
  shadowOf: () => Promise<Shadowing | null>,
): Promise<ShadowAnswers | null> {
  const name = batch.model.name;
  try {
    const shadow = await shadowOf();
    if (shadow === null || shadow.live !== batch.model.version) return null;
    return { version: shadow.version, labels: await shadowLabels(shadow.models, name, batch.texts) };
  } catch (error) {
    console.error(`shadow: ${name} not run:`, error);
    return null;
  }
}
