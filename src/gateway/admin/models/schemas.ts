import { z } from "zod";
import { ModelName, Version } from "../../registry/keys.ts";
import { ModelDefinition } from "../../registry/model-definition.ts";
import { Canary } from "../../registry/pointer.ts";

/** Bodies of the admin model routes: the requests they validate and the answers they give. */

export const PromoteRequest = z
  .strictObject({
    version: Version,
    canary_percent: z.number().int().min(1).max(99).optional().meta({
      description:
        "Serve the version to this share of inference requests (by request id) instead of making it live",
    }),
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
