import { OpenAPIHono, type RouteConfig } from "@hono/zod-openapi";
import type { H } from "hono/types";
import { z } from "zod";
import type { AppEnv } from "./context.ts";
import { ErrorResponse, V2ErrorResponse } from "./schemas/error.ts";

/**
 * Every route is declared with its OpenAPI operation (createRoute from @hono/zod-openapi) beside its
 * handler, with the zod schemas the handler parses with; GET /openapi.json (routes/openapi.ts) is
 * generated from these declarations. Mounting is ours rather than OpenAPIHono#openapi, which would put
 * @hono/zod-validator in front of the handler: the handlers keep their own parse step (errors.ts
 * parseRequest, middleware/json-body), so every refusal keeps the gateway's error body and code.
 */
export type DocumentedApp = OpenAPIHono<AppEnv>;

export const documentedApp = (): DocumentedApp => new OpenAPIHono<AppEnv>();

/** The OpenAPI 3.1 document such an app generates. */
export type OpenApiDocument = ReturnType<DocumentedApp["getOpenAPI31Document"]>;

/** A route as createRoute returns it. */
export type DeclaredRoute = RouteConfig & { getRoutingPath(): string };

/** Declares `route` in the app's OpenAPI registry and mounts the handlers on its method and path. */
export function mount(
  app: DocumentedApp,
  route: DeclaredRoute,
  ...handlers: [H<AppEnv>, ...H<AppEnv>[]]
): DocumentedApp {
  app.openAPIRegistry.registerPath(route);
  app.on(route.method.toUpperCase(), route.getRoutingPath(), ...handlers);
  return app;
}

type Schema = z.ZodType | { $ref: string };

/** A JSON answer (or body) with its schema. */
export const jsonContent = (schema: Schema, description: string) => ({
  description,
  content: { "application/json": { schema } },
});

/** A required JSON request body with its schema. */
export const jsonRequest = (schema: Schema) => ({
  required: true,
  content: { "application/json": { schema } },
});

const errorsIn =
  (body: z.ZodType) =>
  (...statuses: number[]) =>
    Object.fromEntries(statuses.map((status) => [String(status), jsonContent(body, "Error")]));

/** The error answers an operation may give, each with the gateway's one error body. */
export const errorResponses = errorsIn(ErrorResponse);

/** The same for a /v2 operation, whose errors have the protocol's body `{"error": "<message>"}`. */
export const v2ErrorResponses = errorsIn(V2ErrorResponse);

/**
 * The inference routes' answers for a model with no student yet: 409 no_student when the request needs a
 * student, 503 teacher_unavailable (with Retry-After) when its teacher failed and nothing else can answer.
 */
const noStudentIn = (body: z.ZodType) => ({
  409: jsonContent(body, "no_student: the model has no student yet and the request needs one"),
  503: {
    ...jsonContent(body, "teacher_unavailable: the model has no student yet and its teacher failed"),
    headers: z.object({
      "retry-after": z.string().meta({ description: "Seconds to wait before retrying" }),
    }),
  },
});
export const noStudentResponses = noStudentIn(ErrorResponse);
export const v2NoStudentResponses = noStudentIn(V2ErrorResponse);
