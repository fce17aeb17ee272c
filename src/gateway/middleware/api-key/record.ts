import { z } from "zod";
import { KEY_ID_PATTERN } from "./key.ts";

/** What the gateway knows of a key: never the key, and the admin API never shows its hash either. */
export const KeyName = z
  .string()
  .trim()
  .min(1)
  .max(100)
  .regex(/^[^\p{Cc}]*$/u, "must not contain control characters")
  .meta({ description: "Who or what the key is for" });

export const KeyRecord = z.strictObject({
  id: z.string().regex(KEY_ID_PATTERN).meta({ description: "The key's public id (16 hex digits)" }),
  name: KeyName,
  created_at: z.iso.datetime(),
  revoked_at: z.iso.datetime().nullable().meta({ description: "null while the key works" }),
});
export type KeyRecord = z.infer<typeof KeyRecord>;

/** Set on the context once a request's key is accepted: the rate limit and the logs key on its id. */
export type ApiKeyVariables = { apiKey?: Pick<KeyRecord, "id" | "name"> };
