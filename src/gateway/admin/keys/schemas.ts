import { z } from "zod";
import { CreatedKey as Created, KeyName, KeyRecord } from "../../middleware/api-key/store.ts";

/** Bodies of the admin key routes. A key's record is what the list shows; only creation shows the key. */
export const CreateKeyRequest = z.strictObject({ name: KeyName }).meta({ id: "CreateKeyRequest" });

export const KeyInfo = KeyRecord.meta({ id: "KeyInfo" });

export const CreatedKey = Created.meta({ id: "CreatedKey" });
export type CreatedKey = z.infer<typeof CreatedKey>;

export const KeyList = z.strictObject({ keys: z.array(KeyInfo) }).meta({ id: "KeyList" });
