import { z } from "zod";
import { type ModelManifest, RoutingTarget } from "../../core/manifest.ts";
import { RoutingScoreKind } from "../../core/routing-score.ts";
import { NO_STUDENT_VERSION } from "../registry/model-definition.ts";

/** GET /v1/models, GET /v1/models/{name} and GET /healthz. */
export const ModelSummary = z.strictObject({
  name: z.string(),
  version: z.string().meta({ description: 'The live student\'s version; "none" while there is none' }),
  task: z.literal("text-classification"),
  default: z.boolean().meta({ description: "Used when a request names no model" }),
  classes: z.number().int().meta({ description: "Number of labels" }),
  out_of_scope_label: z.string().nullable(),
  routing: z
    .strictObject({
      score: RoutingScoreKind,
      threshold: z.number(),
      target: RoutingTarget,
    })
    .nullable()
    .meta({ description: "null while the model has no student (its teacher answers everything)" }),
  calibration: z.strictObject({ temperature: z.number() }).nullable(),
  evaluation: z
    .strictObject({
      split: z.string(),
      n: z.number().int(),
      student_accuracy: z.number(),
      teacher_accuracy: z.number(),
      student_ece: z.number(),
      cascade_accuracy: z.number(),
      cascade_teacher_rate: z.number(),
    })
    .nullable()
    .meta({ description: "Figures the package was shipped with (its test split); null with no student" }),
  loaded: z.boolean().meta({ description: "This isolate already holds a session for the model" }),
});
export type ModelSummary = z.infer<typeof ModelSummary>;

/** A model as OpenAI's `GET /v1/models` lists it, so OpenAI SDKs can list the gateway's models. */
export const OpenAiModel = z.strictObject({
  id: z.string(),
  object: z.literal("model"),
  created: z.number().int(),
  owned_by: z.literal("apprentice"),
});
export type OpenAiModel = z.infer<typeof OpenAiModel>;

/** A served model as OpenAI clients list it. The registry keeps no date a model was made: `created` 0. */
export const openAiModel = (id: string): OpenAiModel => ({
  id,
  object: "model",
  created: 0,
  owned_by: "apprentice",
});

export const ModelList = z
  .strictObject({
    default_model: z.string(),
    models: z.array(ModelSummary),
    object: z.literal("list").meta({ description: "OpenAI's list shape, with `data`" }),
    data: z.array(OpenAiModel).meta({ description: "The same models as OpenAI clients list them" }),
  })
  .meta({ id: "ModelList" });

export const ModelDetail = ModelSummary.extend({ labels: z.array(z.string()) }).meta({ id: "ModelDetail" });

export const HealthResponse = z
  .strictObject({
    status: z.literal("ok"),
    models: z.record(z.string(), z.strictObject({ version: z.string(), loaded: z.boolean() })),
  })
  .meta({ id: "Health" });

export function summarize(manifest: ModelManifest, isDefault: boolean, loaded: boolean): ModelSummary {
  const { routing, evaluation } = manifest;
  return {
    name: manifest.name,
    version: manifest.version,
    task: manifest.task,
    default: isDefault,
    classes: manifest.labels.length,
    out_of_scope_label: manifest.outOfScopeLabel,
    routing: { score: routing.score, threshold: routing.threshold, target: routing.target },
    calibration: { temperature: manifest.calibration.temperature },
    evaluation: {
      split: evaluation.split,
      n: evaluation.n,
      student_accuracy: evaluation.student.accuracy,
      teacher_accuracy: evaluation.teacher.accuracy,
      student_ece: evaluation.student.ece,
      cascade_accuracy: evaluation.cascade.accuracy,
      cascade_teacher_rate: evaluation.cascade.teacher_rate,
    },
    loaded,
  };
}

/** A model created from a label set whose student is not live yet: its teacher answers everything. */
export function summarizeTeacherOnly(
  name: string,
  labels: readonly string[],
  outOfScopeLabel: string | null,
  isDefault: boolean,
): ModelSummary {
  return {
    name,
    version: NO_STUDENT_VERSION,
    task: "text-classification",
    default: isDefault,
    classes: labels.length,
    out_of_scope_label: outOfScopeLabel,
    routing: null,
    calibration: null,
    evaluation: null,
    loaded: false,
  };
}
