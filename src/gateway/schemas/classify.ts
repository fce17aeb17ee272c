import { z } from "zod";
import { textSchema, textsSchema } from "../../core/text.ts";
import { TEACHER_MODES, type TeacherMode } from "../cascade/decide.ts";
import type { GatewayConfig, Limits, ThresholdBounds } from "../config.ts";
import { badRequest, parseRequest } from "../errors.ts";
import { perConfig } from "./per-config.ts";

/**
 * POST /v1/classify (docs/api.md "POST /v1/classify"). The request schemas are built from the configured limits, so
 * the very schemas that validate requests are the ones /openapi.json publishes, limits included.
 */
export function classifyRequestSchemas(limits: Limits, threshold: ThresholdBounds) {
  const Text = textSchema(limits.maxTextChars).meta({ description: "Text to classify" });
  const Model = z
    .string()
    .min(1)
    .max(64)
    .meta({ description: "Model name (GET /v1/models); the configured default when omitted" });
  const Options = z
    .strictObject({
      threshold: z
        .number()
        .min(threshold.min)
        .max(threshold.max)
        .optional()
        .meta({ description: "Overrides the model's routing threshold: scores below it go to the teacher" }),
      teacher: z
        .enum(TEACHER_MODES)
        .optional()
        .meta({ description: "auto (default): ask when unsure; never; always" }),
      explain: z.boolean().optional().meta({ description: "Return the features that pushed the label most" }),
    })
    .meta({ id: "ClassifyOptions" });
  const Single = z.strictObject({ model: Model.optional(), text: Text, options: Options.optional() });
  const Batch = z.strictObject({
    model: Model.optional(),
    texts: textsSchema(limits, Text),
    options: Options.optional(),
  });
  const Request = z.union([Single, Batch]).meta({ id: "ClassifyRequest" });
  return { Options, Single, Batch, Request };
}
export type ClassifyRequestSchemas = ReturnType<typeof classifyRequestSchemas>;

/**
 * Where the route declares its body: the schema depends on the deployment's limits, so /openapi.json
 * (routes/openapi.ts) adds this deployment's ClassifyRequest and ClassifyOptions under this name.
 */
export const CLASSIFY_REQUEST_REF = { $ref: "#/components/schemas/ClassifyRequest" };

/** The request schemas for a configuration, built once per configuration object. */
export const requestSchemasFor = perConfig(
  (config: GatewayConfig): ClassifyRequestSchemas => classifyRequestSchemas(config.limits, config.threshold),
);

export interface ClassifyInput {
  model: string | undefined;
  texts: string[];
  options: { threshold?: number; teacher: TeacherMode; explain: boolean };
}

const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v);

/**
 * Validates a parsed JSON body. Which of the two shapes applies is decided first, so a client gets the
 * error of the shape it meant ("texts.2: must not be empty…") instead of a union's "invalid input".
 */
export function parseClassifyRequest(schemas: ClassifyRequestSchemas, body: unknown): ClassifyInput {
  if (!isRecord(body)) throw badRequest("the body must be a JSON object");
  const hasText = Object.hasOwn(body, "text");
  const hasTexts = Object.hasOwn(body, "texts");
  if (hasText === hasTexts)
    throw badRequest('give exactly one of "text" (a string) and "texts" (an array of strings)');
  const data = hasText ? parseRequest(schemas.Single, body) : parseRequest(schemas.Batch, body);
  const texts = "text" in data ? [data.text] : data.texts;
  const { threshold, teacher = "auto", explain = false } = data.options ?? {};
  return {
    model: data.model,
    texts,
    options: { ...(threshold !== undefined ? { threshold } : {}), teacher, explain },
  };
}

const Confidence = z.number().min(0).max(1);

export const ClassifyResult = z
  .strictObject({
    label: z.string(),
    confidence: Confidence.meta({ description: "Probability of label (calibrated, for the student)" }),
    source: z.enum(["student", "teacher", "cache"]),
    degraded: z.literal(true).optional().meta({ description: "The teacher was needed but failed" }),
    reason: z
      .string()
      .optional()
      .meta({ description: "Why the answer is degraded (the teacher's failure kind)" }),
    student: z
      .strictObject({ label: z.string(), confidence: Confidence })
      .nullable()
      .meta({ description: "What the student said; null while the model has no student (teacher only)" }),
    teacher: z
      .strictObject({ label: z.string(), confidence: Confidence, latency_ms: z.number().min(0) })
      .optional(),
    explanation: z
      .array(z.strictObject({ token: z.string(), kind: z.enum(["word", "char"]), weight: z.number() }))
      .optional()
      .meta({ description: "Features of the text that pushed label most, heaviest first (student model)" }),
  })
  .meta({ id: "ClassifyResult" });

/** One entry of `results`: what the cascade answers for one text. */
export type ClassifyResult = z.infer<typeof ClassifyResult>;

export const ClassifyResponse = z
  .strictObject({
    model: z.string(),
    version: z
      .string()
      .meta({ description: 'The student\'s version; "none" while the model has no student' }),
    results: z.array(ClassifyResult),
  })
  .meta({ id: "ClassifyResponse" });
export type ClassifyResponse = z.infer<typeof ClassifyResponse>;
