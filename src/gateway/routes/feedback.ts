import { createRoute } from "@hono/zod-openapi";
import type { FeedbackRecord } from "../../core/feedback.ts";
import { type AppEnv, clientOf } from "../context.ts";
import { ApiError, parseRequest } from "../errors.ts";
import { feedbackRecord } from "../feedback/record.ts";
import { FeedbackAccepted, FeedbackRequest } from "../feedback/schema.ts";
import { jsonBody } from "../middleware/json-body/index.ts";
import { documentedApp, errorResponses, jsonContent, jsonRequest, mount } from "../openapi.ts";

/**
 * POST /v1/feedback (docs/api.md "POST /v1/feedback"): the true label of an answer, by its request id or
 * with its text. The record is on the queue before the 202, so an accepted label is never lost; the
 * consumer stores it in R2 and D1 (hard-example-log/consumer.ts), where a repeat replaces it.
 */
const feedbackRoute = createRoute({
  method: "post",
  path: "/v1/feedback",
  operationId: "giveFeedback",
  summary: "Give the true label of an answer",
  request: { body: jsonRequest(FeedbackRequest) },
  responses: {
    202: jsonContent(FeedbackAccepted, "Accepted: on its way to the log"),
    ...errorResponses(400, 404, 413, 415, 500, 503),
  },
});

export const feedbackRoutes = mount(
  documentedApp(),
  feedbackRoute,
  jsonBody<AppEnv>({ maxBytes: (c) => c.var.services.config.limits.maxBodyBytes }),
  async (c) => {
    const input = parseRequest(FeedbackRequest, c.var.jsonBody);
    const queue = c.env?.HARD_EXAMPLES;
    if (!queue)
      throw new ApiError(503, "not_configured", "feedback is not configured: bind the HARD_EXAMPLES queue");
    const record: FeedbackRecord = await feedbackRecord(input, {
      services: c.var.services,
      trail: c.env?.ANSWER_TRAIL,
      client: clientOf(c).client,
      now: new Date(),
    });
    await queue.send(record, { contentType: "json" });
    const body: FeedbackAccepted = {
      id: record.id,
      example_id: record.example_id,
      model: record.model,
      version: record.version,
      label: record.label,
    };
    return c.json(body, 202);
  },
);
