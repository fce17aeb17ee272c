/**
 * GET /metrics in the OpenAPI document (routes/openapi.ts adds these).
 */
export const metricsSecuritySchemes = {
  metricsToken: {
    type: "http",
    scheme: "bearer",
    description:
      "METRICS_TOKEN, only when the gateway sets it (otherwise /metrics is open): 401 without it, 403 when wrong.",
  },
};

const error = {
  description: "Error",
  content: { "application/json": { schema: { $ref: "#/components/schemas/Error" } } },
};

export const metricsPaths = {
  "/metrics": {
    get: {
      summary: "This isolate's metrics in the Prometheus text format 0.0.4",
      description:
        "Per model and version: requests, answers by source (student, teacher, cache, degraded), teacher failures by kind, the teacher breaker's state, histograms of student inference, teacher call and request time and of the routing score, and the estimated money saved. The figures are one isolate's since it started: for global figures use GET /admin/stats or Analytics Engine.",
      // Open unless METRICS_TOKEN is set.
      security: [{}, { metricsToken: [] }],
      responses: {
        "200": {
          description: "Prometheus text exposition format",
          content: { "text/plain; version=0.0.4; charset=utf-8": { schema: { type: "string" } } },
        },
        "401": error,
        "403": error,
        "500": error,
      },
    },
  },
};
