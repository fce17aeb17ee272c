import type { AppContext } from "../../context.ts";
import { ApiError, parseRequest } from "../../errors.ts";
import {
  labelDifference,
  type ModelDefinition,
  ModelDefinitionInput,
} from "../../registry/model-definition.ts";
import type { ModelState } from "./schemas.ts";
import { currentPointer, requireDefinitions, requireModel, type Stores } from "./state.ts";

/**
 * PUT /admin/models/{name}: a model from its labels and, optionally, its own teacher. A new name becomes
 * a model its teacher answers alone until a student version is uploaded and promoted; an existing
 * model (bundled or uploaded) keeps its students and gets the definition's teacher. Either way the labels
 * must be the live student's, in order, and every version uploaded or promoted later must agree with them.
 */
export async function putDefinition(
  c: AppContext,
  stores: Stores,
  name: string,
): Promise<{ state: ModelState; created: boolean }> {
  const definitions = requireDefinitions(stores);
  const input = parseRequest(ModelDefinitionInput, c.var.jsonBody);
  const live = await liveLabels(stores, name);
  const difference = live && labelDifference(live, input.labels);
  if (difference)
    throw new ApiError(400, "invalid_request", `labels do not match the live student's: ${difference}`);
  const previous = await definitions.get(name);
  const now = new Date().toISOString();
  const definition: ModelDefinition = {
    name,
    labels: input.labels,
    outOfScopeLabel: input.outOfScopeLabel ?? null,
    teacher: input.teacher ?? null,
    ...(input.budget ? { budget: input.budget } : {}),
    ...(input.chat ? { chat: input.chat } : {}),
    created_at: previous?.created_at ?? now,
    updated_at: now,
  };
  await definitions.put(name, definition);
  return { state: await requireModel(stores, name), created: previous === null };
}

/** The live student's labels (bundled, or the live version in R2), or null when no student is live. */
async function liveLabels(stores: Stores, name: string): Promise<readonly string[] | null> {
  const pointer = await currentPointer(stores, name);
  if (pointer === null) return null;
  if (pointer.live === stores.catalog.bundledVersion(name))
    return stores.catalog.bundled.manifest(name).labels;
  return (await stores.versions?.manifest(name, pointer.live))?.labels ?? null;
}

/** 400 invalid_model unless a student's labels are its model's definition's, in the same order. */
export async function requireDefinedLabels(
  stores: Stores,
  name: string,
  labels: readonly string[],
): Promise<void> {
  const definition = await stores.definitions?.get(name);
  if (!definition) return;
  const difference = labelDifference(definition.labels, labels);
  if (difference)
    throw new ApiError(
      400,
      "invalid_model",
      `the student's labels do not match the model's (PUT /admin/models/${name}): ${difference}`,
    );
}
