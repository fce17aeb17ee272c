import { Validator } from "@cfworker/json-schema";

/**
 * A JSON Schema validator for one component of the gateway's /openapi.json, resolving the $refs inside
 * the document, so tests check answers against what the gateway publishes rather than a copy of it.
 */
export function componentValidator(doc: unknown, id: string): Validator {
  const base = "https://gateway.test/openapi.json";
  const validator = new Validator({ $ref: `${base}#/components/schemas/${id}` }, "2020-12", false);
  validator.addSchema(doc as never, base);
  return validator;
}
