import { createRoute } from "@hono/zod-openapi";
import { classifyTexts } from "../cascade/classify.ts";
import { type AppEnv, clientOf, waitUntilOf } from "../context.ts";
import { jsonBody } from "../middleware/json-body/index.ts";
import { chargeTexts } from "../middleware/rate-limit/index.ts";
import {
  documentedApp,
  errorResponses,
  jsonContent,
  jsonRequest,
  mount,
  noStudentResponses,
} from "../openapi.ts";
import {
  CLASSIFY_REQUEST_REF,
  ClassifyResponse,
  parseClassifyRequest,
  requestSchemasFor,
} from "../schemas/classify.ts";

/** POST /v1/classify (docs/api.md "POST /v1/classify"): one text or a batch, each answered by the student or, when it is unsure, the teacher. */
const classifyRoute = createRoute({
  method: "post",
  path: "/v1/classify",
  operationId: "classify",
  summary: "Classify one text or a batch",
  request: { body: jsonRequest(CLASSIFY_REQUEST_REF) },
  responses: {
    200: jsonContent(ClassifyResponse, "Answers, one per text"),
    ...errorResponses(400, 404, 413, 415, 500),
    ...noStudentResponses,
  },
});

export const classifyRoutes = mount(
  documentedApp(),
  classifyRoute,
  jsonBody<AppEnv>({
    maxBytes: (c) => c.var.services.config.limits.maxBodyBytes,
    parse: (c, text) =>
      c.var.stages.replay(
        "parse",
        () => text,
        () => JSON.parse(text),
      ),
  }),
  async (c) => {
    const services = c.var.services;
    const { config, registry } = services;
    const { jsonBody, stages } = c.var;
    const input = stages.replay(
      "parse",
      () => jsonBody,
      () => parseClassifyRequest(requestSchemasFor(config), jsonBody),
    );
    const modelName = input.model ?? config.defaultModel;
    registry.require(modelName); // 404 for an unknown model before any work
    // Texts the teacher answers whatever the student says cost more (rate-limit/index.ts).
    const { teacher } = input.options;
    const toTeacher = teacher === "always" || (teacher !== "never" && !registry.hasStudent(modelName));
    await chargeTexts(c, input.texts.length, toTeacher);
    const outcome = await classifyTexts(services, modelName, input.texts, {
      ...input.options,
      ...waitUntilOf(c),
      ...clientOf(c),
      stages,
    });
    // To the hard-example log and telemetry (answered.ts).
    c.var.onAnswered({ endpoint: "v1", ...outcome });
    const { model, results } = outcome;
    const body: ClassifyResponse = { model: model.name, version: model.version, results };
    return c.json(body);
  },
);
