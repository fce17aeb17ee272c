import { z } from "zod";

/**
 * What the toolkit reads back from the gateway (docs/api.md, the HTTP API contract). Objects are parsed
 * leniently (unknown keys stripped, not rejected): the gateway may add fields without breaking the
 * toolkit, but every field the toolkit relies on is checked.
 */
export const ApiErrorBody = z.object({ error: z.object({ code: z.string(), message: z.string() }) });

const Rate = z.number().min(0).max(1);

/** One model of `GET /v1/models`: the live version and the evaluation figures its manifest shipped with. */
export const LiveModel = z.object({
  name: z.string(),
  version: z.string(),
  /** null while the model has no student (created from a label set; version "none"). */
  evaluation: z
    .object({
      split: z.string(),
      n: z.number().int().nonnegative(),
      cascade_accuracy: Rate,
      cascade_teacher_rate: Rate,
    })
    .nullable(),
});
export type LiveModel = z.infer<typeof LiveModel>;

export const ModelList = z.object({ models: z.array(LiveModel) });

/** `GET /v1/models/{name}`: the live model with its label set, in the order its probabilities follow. */
export const ModelDetail = LiveModel.extend({
  labels: z.array(z.string().min(1)).min(2),
  out_of_scope_label: z.string().nullable(),
});
export type ModelDetail = z.infer<typeof ModelDetail>;

/** `GET /admin/models/{name}`: the registry pointer and every version the gateway can serve. */
export const AdminModel = z.object({
  name: z.string(),
  live: z.string().nullable(),
  previous: z.array(z.string()),
  canary: z
    .object({ version: z.string(), percent: z.number(), started_at: z.string().optional() })
    .nullable(),
  /** The version running in shadow; absent from older gateways. */
  shadow: z.object({ version: z.string(), percent: z.number() }).nullable().optional(),
  versions: z.array(z.object({ version: z.string(), source: z.string(), sha256: z.string().optional() })),
  /** The model's labels and own teacher when it was defined (PUT /admin/models/{name}); absent from older gateways. */
  definition: z
    .object({
      labels: z.array(z.string()),
      outOfScopeLabel: z.string().nullable(),
      teacher: z.object({ protocol: z.string() }).loose().nullable(),
    })
    .nullable()
    .optional(),
  warnings: z.array(z.string()).optional(),
});
export type AdminModel = z.infer<typeof AdminModel>;

/** `PUT /admin/models/{name}`: a model from its labels and, optionally, its own teacher. */
export interface ModelDefinitionBody {
  labels: string[];
  outOfScopeLabel?: string | null;
  teacher?: {
    protocol: string;
    url?: string;
    model?: string;
    /** The NAME of the gateway's Worker secret holding the teacher's key, never the key. */
    secret?: string;
    pricePerCall?: number;
  };
}

/** `PUT /admin/models/{name}/versions/{version}` → 201. */
export const Uploaded = z.object({
  name: z.string(),
  version: z.string(),
  bytes: z.number().int().positive(),
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
});
export type Uploaded = z.infer<typeof Uploaded>;

/** `POST /admin/models/{name}/lease` → 200: the lease, now held by `owner`. */
export const Lease = z.object({
  name: z.string(),
  owner: z.string(),
  acquired_at: z.string(),
  expires_at: z.string(),
});
export type Lease = z.infer<typeof Lease>;

/** One side of a standing: a version's agreement (or accuracy) counts since the candidate started. */
const StandingRate = z.object({
  version: z.string(),
  agree: z.number().int(),
  total: z.number().int(),
  rate: z.number().nullable(),
});

/**
 * `GET /admin/models/{name}/decisions`, the part the loop reads: where the running shadow or canary
 * stands against live (the verdict is the gateway's anytime-valid test at the pointer's alpha).
 */
export const Standings = z.object({
  evidence: z.array(
    z
      .object({
        role: z.enum(["canary", "shadow"]),
        evidence: z.string(),
        verdict: z.enum(["better", "worse", "undecided"]),
        candidate: StandingRate,
        live: StandingRate,
      })
      .loose(),
  ),
});
export type Standing = z.infer<typeof Standings>["evidence"][number];

/** `DELETE /admin/models/{name}/lease?owner=` → 200. */
export const Released = z.object({ name: z.string(), owner: z.string(), released: z.boolean() });

/** `POST /v1/classify` (only what the toolkit and the benchmark read). */
export const ClassifyAnswer = z.object({
  model: z.string(),
  version: z.string(),
  results: z.array(
    z.object({
      label: z.string(),
      confidence: Rate,
      source: z.enum(["student", "teacher", "cache"]),
      degraded: z.literal(true).optional(),
    }),
  ),
});
export type ClassifyAnswer = z.infer<typeof ClassifyAnswer>;
