import { DEFINITION_PREFIX } from "./keys.ts";
import { KvRecordStore } from "./kv-records.ts";
import { ModelDefinition } from "./model-definition.ts";

/** The model definitions in KV (definition/{name}); last write wins, as for pointers. */
export class DefinitionStore extends KvRecordStore<typeof ModelDefinition> {
  constructor(kv: KVNamespace) {
    super(kv, DEFINITION_PREFIX, ModelDefinition, "definition");
  }
}
