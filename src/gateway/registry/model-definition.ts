import { z } from "zod";
import { BudgetSpec } from "../budget/limits.ts";
import { TEACHER_PROTOCOLS } from "../teacher-client/config.ts";
import { ModelName } from "./keys.ts";

/**
 * A model as an operator defines it, before (or beside) any student: its labels and, optionally, a
 * teacher of its own. Kept in the registry KV (definition/{name}) next to the pointers. A model created
 * from a label set is served by its teacher alone until a student version is promoted; a definition
 * written for a bundled model only gives it its own teacher (its labels must be the bundled ones).
 */

/** Enough for any label set a prompt or a softmax can carry; beyond this it is a mistake. */
export const MAX_LABELS = 1000;
export const MAX_LABEL_CHARS = 200;

/** The version a model without a student answers as: reserved, so no upload can take it. */
export const NO_STUDENT_VERSION = "none";

/** Text normalisation of a model without a student (record ids): the toolkit's default featuriser's. */
export const NO_STUDENT_NORMALIZATION = { normalization: "NFKC", lowercase: true } as const;

/** Worker secret / env var names, as wrangler accepts them. */
const SECRET_NAME = /^[A-Z_][A-Z0-9_]*$/;

/**
 * The teacher of one model. `secret` is the NAME of the Worker secret that holds its API key, never the
 * key: definitions are readable by admins and stored in KV in clear.
 */
export const TeacherSpec = z
  .strictObject({
    protocol: z.enum(TEACHER_PROTOCOLS, {
      error: `protocol must be one of ${TEACHER_PROTOCOLS.join(", ")}`,
    }),
    url: z
      .url({ protocol: /^https?$/, error: "url must be an http(s) URL" })
      .transform((url) => url.replace(/\/+$/, ""))
      .optional()
      .meta({ description: "Base URL of the teacher (not used by workers-ai)" }),
    model: z
      .string()
      .trim()
      .min(1)
      .max(256)
      .optional()
      .meta({ description: "Model id on the teacher's side; default: the gateway model's name" }),
    secret: z
      .string()
      .regex(SECRET_NAME, "secret must be the name of a Worker secret: [A-Z_][A-Z0-9_]*")
      .optional()
      .meta({ description: "Name of the Worker secret holding the teacher's API key (never the key)" }),
    pricePerCall: z
      .number()
      .min(0, "pricePerCall must not be negative")
      .max(1000)
      .optional()
      .meta({ description: "USD per teacher call; default TEACHER_PRICE_PER_CALL" }),
  })
  .superRefine((spec, ctx) => {
    if (spec.protocol === "workers-ai") {
      if (!spec.model) ctx.addIssue({ code: "custom", path: ["model"], message: "workers-ai needs a model" });
    } else if (!spec.url)
      ctx.addIssue({ code: "custom", path: ["url"], message: `${spec.protocol} needs a url` });
  });
export type TeacherSpec = z.infer<typeof TeacherSpec>;

const Label = z.string().trim().min(1, "labels must not be empty").max(MAX_LABEL_CHARS);

/**
 * How POST /v1/chat/completions reads a chat request for this model (docs/api.md "POST
 * /v1/chat/completions"): which text is classified, and another model name clients may send.
 */
export const ChatSpec = z.strictObject({
  text: z
    .union([z.literal("last_user"), z.strictObject({ after: z.string().min(1).max(200) })])
    .default("last_user")
    .meta({
      description: '"last_user": the last user message\'s text; {"after": M}: what follows the last M in it',
    }),
  alias: z
    .string()
    .trim()
    .min(1)
    .max(256)
    .optional()
    .meta({ description: 'Another name clients may send as "model", e.g. the LLM they called' }),
});
export type ChatSpec = z.output<typeof ChatSpec>;

/** PUT /admin/models/{name}: what an operator gives. */
export const ModelDefinitionInput = z
  .strictObject({
    labels: z
      .array(Label)
      .min(2, "a model needs at least 2 labels")
      .max(MAX_LABELS, `a model has at most ${MAX_LABELS} labels`),
    outOfScopeLabel: z
      .string()
      .nullable()
      .optional()
      .meta({ description: 'The label meaning "none of the above", if there is one' }),
    teacher: TeacherSpec.optional().meta({
      description: "The model's own teacher; without one, the gateway's TEACHER_* variables",
    }),
    budget: BudgetSpec.optional(),
    chat: ChatSpec.optional().meta({ description: "How chat completions read requests for this model" }),
  })
  .superRefine((input, ctx) => {
    const seen = new Set<string>();
    input.labels.forEach((label, i) => {
      if (seen.has(label))
        ctx.addIssue({ code: "custom", path: ["labels", i], message: `duplicate label "${label}"` });
      seen.add(label);
    });
    const oos = input.outOfScopeLabel;
    if (oos != null && !seen.has(oos))
      ctx.addIssue({
        code: "custom",
        path: ["outOfScopeLabel"],
        message: `outOfScopeLabel "${oos}" is not one of the labels`,
      });
  });
export type ModelDefinitionInput = z.infer<typeof ModelDefinitionInput>;

/** What the registry stores (and GET /admin/models/{name} shows under `definition`). */
export const ModelDefinition = z.strictObject({
  name: ModelName,
  labels: z.array(z.string().min(1)).min(2),
  outOfScopeLabel: z.string().nullable(),
  teacher: TeacherSpec.nullable(),
  // Absent in definitions written before budgets existed: the TEACHER_BUDGET_* defaults apply.
  budget: BudgetSpec.optional(),
  // Absent: the last user message's text, and no alias.
  chat: ChatSpec.optional(),
  created_at: z.iso.datetime(),
  updated_at: z.iso.datetime(),
});
export type ModelDefinition = z.infer<typeof ModelDefinition>;

/**
 * Why two label lists differ (a student's and its model's must be equal, in order), or null when they
 * agree: the first few labels missing, extra, or out of place.
 */
export function labelDifference(expected: readonly string[], got: readonly string[]): string | null {
  const missing = expected.filter((l) => !got.includes(l));
  const extra = got.filter((l) => !expected.includes(l));
  const quote = (labels: string[]) =>
    labels
      .slice(0, 5)
      .map((l) => JSON.stringify(l))
      .join(", ") + (labels.length > 5 ? `, and ${labels.length - 5} more` : "");
  const parts: string[] = [];
  if (missing.length > 0) parts.push(`missing ${quote(missing)}`);
  if (extra.length > 0) parts.push(`extra ${quote(extra)}`);
  if (parts.length > 0) return parts.join("; ");
  if (expected.length !== got.length) return `${got.length} labels for ${expected.length}`;
  const at = expected.findIndex((l, i) => got[i] !== l);
  if (at < 0) return null;
  return `label ${at} is ${JSON.stringify(got[at])}, the model's is ${JSON.stringify(expected[at])} (same labels, another order)`;
}
