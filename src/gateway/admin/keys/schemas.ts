import { z } from "zod";
import { KeyName, KeyRecord } from "../../middleware/api-key/record.ts";

/** Bodies of the admin key routes. A key's record is what the list shows; only creation shows the key. */
export const CreateKeyRequest = z.strictObject({ name: KeyName });

export const KeyInfo = KeyRecord;

export const CreatedKey = KeyRecord.extend({
  key: z.string().meta({ description: "The API key: shown this once, stored only as its SHA-256" }),
});
export type CreatedKey = z.infer<typeof CreatedKey>;

export const KeyList = z.strictObject({ keys: z.array(KeyInfo) });
