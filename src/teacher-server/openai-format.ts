import { type AnswerFormat, jsonFormat, LABEL_JSON, PLAIN_TEXT } from "../core/openai-answer.ts";
import type { ChatRequest } from "../core/openai-chat.ts";
import { HttpError } from "./http.ts";

/**
 * What `response_format` makes of the answer (the rest of the conventions are in src/core/openai-answer.ts):
 * - absent or `json_object`: `{"label":"<label>"}`, the answer the gateway's openai client reads;
 * - `text`: the bare label;
 * - `json_schema` whose schema is an object with one string property, optionally an enum:
 *   `{"<property>":"<label>"}`; with an enum, the most probable label among its values, as an LLM
 *   constrained to the schema would choose; a schema of any object (no properties) gets the usual
 *   answer. Any other schema is a 400 saying why it cannot be answered.
 */

const PARAM = "response_format.json_schema.schema";
const ANSWERABLE = "an object with exactly one property, a string or an enum of labels";

function unanswerable(why: string): HttpError {
  return new HttpError(
    400,
    `${PARAM}: the teacher cannot answer this schema: ${why}; it answers ${ANSWERABLE}`,
    "unsupported_schema",
    PARAM,
  );
}

const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v);

interface ModelLabels {
  name: string;
  labels: readonly string[];
}

/** The one property's allowed labels (null: any), or why the property cannot hold a label. */
function propertyLabels(key: string, property: unknown, model: ModelLabels): ReadonlySet<string> | null {
  if (!isRecord(property)) throw unanswerable(`property "${key}" is not a schema object`);
  const { type } = property;
  if (type !== undefined && type !== "string")
    throw unanswerable(`property "${key}" has type ${JSON.stringify(type)}, not "string"`);
  if (property.enum === undefined) {
    if (type === undefined) throw unanswerable(`property "${key}" has neither type "string" nor an enum`);
    return null;
  }
  const values: unknown = property.enum;
  if (!Array.isArray(values)) throw unanswerable(`the enum of "${key}" is not an array`);
  const allowed = new Set(model.labels.filter((label) => values.includes(label)));
  if (allowed.size === 0)
    throw unanswerable(
      `no value of the enum of "${key}" is a label of model "${model.name}" (${model.labels.join(", ")})`,
    );
  return allowed;
}

function schemaFormat(schema: Record<string, unknown> | undefined, model: ModelLabels): AnswerFormat {
  if (schema === undefined) return LABEL_JSON;
  if (schema.type !== undefined && schema.type !== "object")
    throw unanswerable(`its type is ${JSON.stringify(schema.type)}, not "object"`);
  const properties = isRecord(schema.properties) ? Object.entries(schema.properties) : [];
  const required = Array.isArray(schema.required) ? schema.required : [];
  // A schema of any object: the usual answer is one.
  if (properties.length === 0 && required.length === 0 && schema.additionalProperties !== false)
    return LABEL_JSON;
  if (properties.length !== 1) throw unanswerable(`it has ${properties.length} properties`);
  const [key, property] = properties[0]!;
  const missing = required.find((name) => name !== key);
  if (missing !== undefined) throw unanswerable(`it requires ${JSON.stringify(missing)}, not a property`);
  return jsonFormat(key, propertyLabels(key, property, model));
}

/** The answer format a request asks for, for a model with these labels; a 400 if none fits. */
export function answerFormat(request: ChatRequest, model: ModelLabels): AnswerFormat {
  const format = request.response_format;
  if (!format || format.type === "json_object") return LABEL_JSON;
  if (format.type === "text") return PLAIN_TEXT;
  return schemaFormat(format.json_schema.schema, model);
}
