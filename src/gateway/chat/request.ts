import {
  type AnswerFormat,
  jsonFormat,
  LABEL_JSON,
  messageText,
  PLAIN_TEXT,
} from "../../core/openai-answer.ts";
import { ChatRequest } from "../../core/openai-chat.ts";
import { textSchema } from "../../core/text.ts";
import { describeIssues } from "../errors.ts";
import type { ModelSet } from "../models/model-set.ts";
import type { ChatSpec } from "../registry/model-definition.ts";
import { chatError, unsupported } from "./errors.ts";

/**
 * A chat completions request as the gateway reads it (docs/api.md "POST /v1/chat/completions"): which
 * gateway model it names, the one text to classify (by the model's chat rule), and the shape the answer
 * must take. What a classifier cannot honour (several choices, tools, audio, images in the text) is a
 * 400 in OpenAI's shape naming the parameter, never an answer that ignores it.
 */
export interface ChatQuery {
  request: ChatRequest;
  /** The gateway model the request names. */
  model: string;
  text: string;
  format: AnswerFormat;
  stream: boolean;
  includeUsage: boolean;
  /** Alternatives per logprobs token; null when the client did not ask for logprobs. */
  topLogprobs: number | null;
}

/** The prefix under which every gateway model can be named, e.g. "apprentice/clinc150". */
export const MODEL_PREFIX = "apprentice/";

const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v);

/** The gateway model a client names: its name, "apprentice/<name>", or the alias its definition gives. */
export function resolveModel(registry: ModelSet, requested: string): string {
  const name = requested.startsWith(MODEL_PREFIX) ? requested.slice(MODEL_PREFIX.length) : requested;
  if (registry.has(name)) return name;
  const aliased = registry.names().find((n) => registry.definition(n)?.chat?.alias === requested);
  if (aliased !== undefined) return aliased;
  throw chatError(
    "model",
    `The model '${requested}' does not exist (models: ${registry.names().join(", ")})`,
    "model_not_found",
    404,
  );
}

/** Parameters a single-label classifier cannot honour, checked before anything runs. */
function refuseUnsupported(body: Record<string, unknown>, request: ChatRequest): void {
  if ((request.n ?? 1) > 1) throw unsupported("n", "n must be 1: a classifier gives one answer per request");
  const tools = body.tools;
  if ((Array.isArray(tools) && tools.length > 0) || body.functions !== undefined)
    throw unsupported(
      body.functions !== undefined ? "functions" : "tools",
      "tools and function calling are not supported",
    );
  for (const param of ["tool_choice", "function_call"]) {
    const value = body[param];
    if (value !== undefined && value !== null && value !== "none" && value !== "auto")
      throw unsupported(param, `${param} is not supported: the gateway calls no tools`);
  }
  if (body.audio !== undefined && body.audio !== null)
    throw unsupported("audio", "audio output is not supported: the answer is a label");
  const modalities = body.modalities;
  if (Array.isArray(modalities) && modalities.some((m) => m !== "text"))
    throw unsupported("modalities", 'only the "text" modality is supported');
}

/** The text the model's rule reads: the last user message's, or what follows the rule's marker in it. */
export function textToClassify(request: ChatRequest, rule: ChatSpec["text"]): string {
  const index = request.messages.findLastIndex((m) => m.role === "user");
  if (index < 0) throw chatError("messages", "messages: there is no user message to classify");
  const param = `messages.${index}.content`;
  const { content } = request.messages[index]!;
  if (Array.isArray(content)) {
    const other = content.find((part) => part.type !== "text" || typeof part.text !== "string");
    if (other)
      throw unsupported(param, `content parts of type "${other.type}" cannot be classified: send text`);
  }
  let text = messageText(request.messages[index]!);
  if (rule !== "last_user") {
    const at = text.lastIndexOf(rule.after);
    if (at < 0)
      throw chatError(
        param,
        `${param}: the model classifies the text after ${JSON.stringify(rule.after)}, and there is none`,
      );
    text = text.slice(at + rule.after.length);
  }
  return text.trim();
}

/**
 * The answer's shape: the bare label (no response_format, or "text"), `{"label": …}` (json_object), or
 * the one property of a json_schema, a string whose enum, if any, holds every label of the model (the
 * student may answer any of them). Any other schema is a 400 saying why.
 */
export function answerFormatFor(request: ChatRequest, labels: readonly string[]): AnswerFormat {
  const format = request.response_format;
  if (!format || format.type === "text") return PLAIN_TEXT;
  if (format.type === "json_object") return LABEL_JSON;
  const schema = format.json_schema.schema;
  if (schema === undefined) return LABEL_JSON;
  const param = "response_format.json_schema.schema";
  const refuse = (why: string) =>
    unsupported(
      param,
      `${param}: ${why}; the gateway answers an object with one string property holding the label`,
    );
  const properties = isRecord(schema.properties) ? Object.entries(schema.properties) : [];
  if (schema.type !== "object" || properties.length !== 1)
    throw refuse(`it is not an object with exactly one property`);
  const [key, property] = properties[0]!;
  if (!isRecord(property) || (property.type !== undefined && property.type !== "string"))
    throw refuse(`property "${key}" is not a string`);
  if (property.enum === undefined) {
    if (property.type === undefined) throw refuse(`property "${key}" has neither type "string" nor an enum`);
    return jsonFormat(key, null);
  }
  const values = Array.isArray(property.enum) ? property.enum : [];
  const missing = labels.filter((label) => !values.includes(label));
  if (missing.length > 0) {
    const shown = missing.slice(0, 5).map((l) => JSON.stringify(l));
    const more = missing.length > 5 ? ` and ${missing.length - 5} more` : "";
    throw chatError(
      param,
      `${param}: the enum of "${key}" lacks labels of the model: ${shown.join(", ")}${more}`,
    );
  }
  return jsonFormat(key, null);
}

export interface ChatLimits {
  maxTextChars: number;
}

/** Parses and checks a request against the served models. */
export function parseChatQuery(body: unknown, registry: ModelSet, limits: ChatLimits): ChatQuery {
  if (!isRecord(body)) throw chatError(null, "the body must be a JSON object");
  const parsed = ChatRequest.safeParse(body);
  if (!parsed.success) {
    const path = parsed.error.issues[0]?.path.map(String).join(".");
    throw chatError(path || null, describeIssues(parsed.error));
  }
  const request = parsed.data;
  refuseUnsupported(body, request);
  const model = resolveModel(registry, request.model);
  const rule = registry.definition(model)?.chat?.text ?? "last_user";
  const text = textToClassify(request, rule);
  const checked = textSchema(limits.maxTextChars).safeParse(text);
  if (!checked.success) throw chatError("messages", `the text to classify ${describeIssues(checked.error)}`);
  return {
    request,
    model,
    text,
    format: answerFormatFor(request, registry.labels(model)),
    stream: request.stream === true,
    includeUsage: request.stream_options?.include_usage === true,
    topLogprobs: request.logprobs === true ? (request.top_logprobs ?? 0) : null,
  };
}
