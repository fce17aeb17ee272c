import { z } from "zod";
import { KeyName, KeyRecord } from "../../middleware/api-key/store.ts";

/** Bodies of the admin key routes. A key's record is what the list shows; only creation shows the key. */
export const CreateKeyRequest = z.strictObject({ name: KeyName }).meta({ id: "CreateKeyRequest" });

export const KeyInfo = KeyRecord.meta({ id: "KeyInfo" });

export const CreatedKey = KeyRecord.extend({
  key: z.string().meta({ description: "The API key: shown this once, stored only as its SHA-256" }),
}).meta({ id: "CreatedKey" });
export type CreatedKey = z.infer<typeof CreatedKey>;

export const KeyList = z.strictObject({ keys: z.array(KeyInfo) }).meta({ id: "KeyList" });
