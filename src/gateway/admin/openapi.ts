import type { z } from "zod";
import { HardExampleRecord } from "../../core/hard-example.ts";
import { ModelDefinitionInput } from "../registry/model-definition.ts";
import { DEFAULT_EXPORT, MAX_EXPORT } from "./hard-examples/filters.ts";
import { CreatedKey, CreateKeyRequest, KeyInfo, KeyList } from "./keys/schemas.ts";
import { ModelState, ModelStates, PromoteRequest, Uploaded } from "./models/schemas.ts";
import { DEFAULT_HOURS, DEFAULT_TOP, MAX_HOURS, MAX_TOP } from "./stats/query.ts";
import { StatsResponse } from "./stats/schema.ts";

/**
 * The admin routes in the OpenAPI document (routes/openapi.ts adds these): the same zod schemas that
 * validate the bodies, and the bearer scheme every admin operation needs.
 */
type Json = Record<string, unknown>;

export const adminComponents: Record<string, z.ZodType> = {
  CreateKeyRequest,
  CreatedKey,
  KeyInfo,
  KeyList,
  HardExampleRecord,
  ModelDefinitionInput,
  ModelState,
  ModelStates,
  PromoteRequest,
  StatsResponse,
  Uploaded,
};

export const adminSecuritySchemes = {
  adminToken: {
    type: "http",
    scheme: "bearer",
    description:
      "ADMIN_TOKEN (32+ characters). 401 without it, 403 when wrong, 503 admin_disabled when the gateway's token is unset or too short.",
  },
};

const ref = (id: string) => ({ $ref: `#/components/schemas/${id}` });
const json = (id: string, description: string) => ({
  description,
  content: { "application/json": { schema: ref(id) } },
});
const errors = (...statuses: number[]) =>
  Object.fromEntries([401, 403, ...statuses, 503].map((s) => [String(s), json("Error", "Error")]));
const path = (name: string, description: string) => ({
  name,
  in: "path",
  required: true,
  schema: { type: "string" },
  description,
});
const query = (name: string, schema: Json, description: string) => ({
  name,
  in: "query",
  required: false,
  schema,
  description,
});
/** An integer query parameter counting from 1. */
const count = (maximum: number, dflt: number) => ({ type: "integer", minimum: 1, maximum, default: dflt });
const op = (summary: string, rest: Json) => ({
  summary,
  tags: ["admin"],
  security: [{ adminToken: [] }],
  ...rest,
});
const nameParam = path("name", "Model name");

export function adminPaths(maxUploadBytes: number): Record<string, Json> {
  return {
    "/admin/hard-examples": {
      get: op("Export hard-example records (NDJSON, oldest first)", {
        parameters: [
          query("model", { type: "string" }, "Only this model's records"),
          query("version", { type: "string" }, "Only this model version's records"),
          query(
            "route",
            { enum: ["teacher", "degraded", "cache", "audit"] },
            "Only records logged for this reason",
          ),
          query(
            "since",
            { type: "string", format: "date-time" },
            "At or after this time (ISO 8601 instant or date)",
          ),
          query("limit", count(MAX_EXPORT, DEFAULT_EXPORT), "At most this many records"),
        ],
        responses: {
          "200": {
            description:
              "One HardExampleRecord per line. Header x-hard-examples-indexed: how many index rows matched (fewer lines means records were missing or invalid in R2).",
            content: { "application/x-ndjson": { schema: ref("HardExampleRecord") } },
          },
          ...errors(400),
        },
      }),
    },
    "/admin/keys": {
      get: op("Client API keys (CLIENT_AUTH=api-key), revoked ones included; never a key or its hash", {
        responses: { "200": json("KeyList", "OK"), ...errors() },
      }),
      post: op("Make a client API key: the answer is the only time the key is shown", {
        requestBody: { required: true, content: { "application/json": { schema: ref("CreateKeyRequest") } } },
        responses: { "201": json("CreatedKey", "Made (Cache-Control: no-store)"), ...errors(400, 413, 415) },
      }),
    },
    "/admin/keys/{id}": {
      delete: op("Revoke a client API key (again: no change)", {
        description:
          "Refused at once by the isolate that revoked it, within 5 s by other isolates of that location, and after KV propagation (about a minute) elsewhere.",
        parameters: [path("id", "The key's id (16 hex digits)")],
        responses: { "200": json("KeyInfo", "The revoked key"), ...errors(400, 404) },
      }),
    },
    "/admin/models": {
      get: op("Every model: pointer and versions", {
        responses: { "200": json("ModelStates", "OK"), ...errors() },
      }),
    },
    "/admin/models/{name}": {
      get: op("One model: pointer, versions, definition and configuration warnings", {
        parameters: [nameParam],
        responses: { "200": json("ModelState", "OK"), ...errors(400, 404) },
      }),
      put: op("Create or replace a model from its labels and, optionally, its own teacher", {
        description:
          'Until a student version is promoted, every request of the model goes to its teacher and is logged (version "none"); if the teacher fails there is nothing to fall back on: 503 teacher_unavailable with Retry-After. A definition for a model with a live student must repeat its labels, in order, and gives it its own teacher. `teacher.secret` is the NAME of the Worker secret holding the key, never the key. Versions uploaded or promoted later must have the same labels, in order.',
        parameters: [nameParam],
        requestBody: {
          required: true,
          content: { "application/json": { schema: ref("ModelDefinitionInput") } },
        },
        responses: {
          "200": json("ModelState", "Replaced"),
          "201": json("ModelState", "Created"),
          ...errors(400, 413, 415),
        },
      }),
    },
    "/admin/models/{name}/versions/{version}": {
      put: op("Upload a version (validated, immutable)", {
        description: `multipart/form-data, at most ${maxUploadBytes} bytes (MAX_UPLOAD_BYTES). The manifest must validate, name this model and version, and match the graph's byte length and SHA-256; the graph must load in onnxruntime-web and give [1, classes] logits on a probe.`,
        parameters: [nameParam, path("version", "Version, as in the manifest")],
        requestBody: {
          required: true,
          content: {
            "multipart/form-data": {
              schema: {
                type: "object",
                required: ["manifest", "onnx"],
                properties: {
                  manifest: { type: "string", description: "manifest.json (text or file part)" },
                  onnx: { type: "string", format: "binary", description: "student.onnx (file part)" },
                },
              },
            },
          },
        },
        responses: { "201": json("Uploaded", "Stored"), ...errors(400, 409, 413, 415) },
      }),
    },
    "/admin/models/{name}/promote": {
      post: op("Make a version live, or a canary for a share of inference requests", {
        parameters: [nameParam],
        requestBody: { required: true, content: { "application/json": { schema: ref("PromoteRequest") } } },
        responses: { "200": json("ModelState", "The new pointer"), ...errors(400, 404, 413, 415) },
      }),
    },
    "/admin/models/{name}/rollback": {
      post: op("Make the last previous version live again (the canary is dropped)", {
        parameters: [nameParam],
        responses: { "200": json("ModelState", "The new pointer"), ...errors(400, 404) },
      }),
    },
    "/admin/stats": {
      get: op("Live statistics of a model (D1): answers per hour, audit agreement, confused pairs", {
        parameters: [
          query("model", { type: "string" }, "The model (default DEFAULT_MODEL)"),
          query("version", { type: "string" }, "Only this version's figures"),
          query(
            "hours",
            count(MAX_HOURS, DEFAULT_HOURS),
            "Hours in the window, the last one the current hour",
          ),
          query("top", count(MAX_TOP, DEFAULT_TOP), "Confused label pairs to list"),
          query("until", { type: "string", format: "date-time" }, "End the window here instead of now"),
        ],
        responses: { "200": json("StatsResponse", "OK"), ...errors(400, 404) },
      }),
    },
  };
}
