import { z } from "zod";
import { CanaryDecision, CanaryPolicy, DecisionEvidence } from "../../registry/canary-decision.ts";
import { ModelName, Version } from "../../registry/keys.ts";
import { ModelDefinition } from "../../registry/model-definition.ts";
import { Canary, Shadow } from "../../registry/pointer.ts";

/** Bodies of the admin model routes: the requests they validate and the answers they give. */

export const PromoteRequest = z
  .strictObject({
    version: Version,
    canary_percent: z.number().int().min(1).max(99).optional().meta({
      description:
        "Serve the version to this share of inference requests (by request id) instead of making it live",
    }),
    decision: CanaryPolicy.optional().meta({
      description:
        "With canary_percent: how the canary is decided automatically (defaults: alpha 0.05, 72 hours, then rollback)",
    }),
  })
  .refine((r) => r.decision === undefined || r.canary_percent !== undefined, {
    message: "decision applies to a canary: give canary_percent too",
    path: ["decision"],
  })
  .meta({ id: "PromoteRequest" });
export type PromoteRequest = z.infer<typeof PromoteRequest>;

export const VersionInfo = z.strictObject({
  version: z.string(),
  source: z
    .enum(["bundled", "registry"])
    .meta({ description: "Shipped in the Worker bundle, or uploaded to R2" }),
  bytes: z.number().int(),
  sha256: z.string(),
  uploaded_at: z.string().nullable(),
});
export type VersionInfo = z.infer<typeof VersionInfo>;

/** A model as the registry holds it: its pointer (flattened) and every version it can serve. */
export const ModelState = z
  .strictObject({
    name: ModelName,
    live: z.string().nullable().meta({ description: "null for an uploaded model never promoted" }),
    previous: z
      .array(z.string())
      .meta({ description: "Versions live before, oldest first; rollback takes the last" }),
    canary: Canary.nullable(),
    shadow: Shadow.nullable().meta({ description: "The version run beside the live one, never answering" }),
    updated_at: z
      .string()
      .nullable()
      .meta({ description: "Last promote/rollback; null while the bundled version was never replaced" }),
    versions: z.array(VersionInfo),
    definition: ModelDefinition.nullable().meta({
      description:
        "Labels and own teacher (PUT /admin/models/{name}); null for a model only its versions define",
    }),
    warnings: z
      .array(z.string())
      .meta({ description: "Configuration that will not work in this gateway (a teacher secret not set)" }),
  })
  .meta({ id: "ModelState" });
export type ModelState = z.infer<typeof ModelState>;

export const ModelStates = z.strictObject({ models: z.array(ModelState) }).meta({ id: "ModelStates" });

export const Uploaded = z
  .strictObject({
    name: z.string(),
    version: z.string(),
    bytes: z.number().int(),
    sha256: z.string(),
  })
  .meta({ id: "Uploaded" });
export type Uploaded = z.infer<typeof Uploaded>;

export const ShadowRequest = z
  .strictObject({
    version: Version,
    percent: z
      .number()
      .int()
      .min(1)
      .max(100)
      .meta({ description: "Share of inference requests (by request id) on which the shadow runs" }),
  })
  .meta({ id: "ShadowRequest" });
export type ShadowRequest = z.infer<typeof ShadowRequest>;

const Rate = z.strictObject({
  version: z.string(),
  agree: z.number().int(),
  total: z.number().int(),
  rate: z.number().nullable(),
  lower: z.number().meta({ description: "Confidence sequence at level alpha/2 (anytime-valid)" }),
  upper: z.number(),
});

const Verdict = z.enum(["better", "worse", "undecided"]);
const Difference = z
  .strictObject({ lower: z.number(), upper: z.number() })
  .meta({ description: "Candidate minus live rate: anytime-valid at level alpha" });

/** Where a running canary or shadow stands against the live version, as the decision would read it. */
export const Evidence = z
  .strictObject({
    role: z.enum(["canary", "shadow"]),
    since: z.string(),
    alpha: z.number(),
    evidence: DecisionEvidence.meta({
      description:
        "What the rates count: agreement with the teacher, or (once both sides have min_feedback feedback) accuracy against client feedback",
    }),
    feedback: z
      .strictObject({
        candidate: z.number().int(),
        live: z.number().int(),
        required: z.number().int().meta({ description: "The policy's min_feedback, for each side" }),
        accuracy: z
          .strictObject({ candidate: Rate, live: Rate, verdict: Verdict, difference: Difference })
          .meta({ description: "Each side's accuracy against that feedback, as the test reads it" }),
      })
      .meta({
        description:
          "Feedback since the start: on each side's student answers (canary, live), or on the requests in the shadow's share, where the answer trail kept the shadow's labels",
      }),
    verdict: Verdict,
    candidate: Rate,
    live: Rate,
    difference: Difference,
  })
  .meta({ id: "Evidence" });
export type Evidence = z.infer<typeof Evidence>;

export const Decisions = z
  .strictObject({
    decisions: z.array(CanaryDecision).meta({ description: "The automatic decisions, oldest first" }),
    evidence: z.array(Evidence).meta({ description: "The running canary and shadow, if any" }),
  })
  .meta({ id: "Decisions" });
export type Decisions = z.infer<typeof Decisions>;
