import { createRoute } from "@hono/zod-openapi";
import { z } from "zod";
import { budgetReadings } from "../budget/gate.ts";
import { budgetFamilies } from "../budget/metrics.ts";
import type { AppEnv, Services } from "../context.ts";
import { type DocumentedApp, documentedApp, errorResponses, mount } from "../openapi.ts";
import { metricsAuth } from "./config.ts";
import type { BreakerReading } from "./gateway-metrics.ts";
import { CONTENT_TYPE, writeExposition } from "./prometheus.ts";
import type { IsolateTelemetry } from "./telemetry.ts";

/** The bearer scheme of GET /metrics: needed only when the gateway sets METRICS_TOKEN (config.ts). */
const METRICS_TOKEN_SCHEME = {
  type: "http",
  scheme: "bearer",
  description:
    "METRICS_TOKEN, only when the gateway sets it (otherwise /metrics is open): 401 without it, 403 when wrong.",
} as const;

const metricsRoute = createRoute({
  method: "get",
  path: "/metrics",
  operationId: "getMetrics",
  summary: "This isolate's metrics in the Prometheus text format 0.0.4",
  description:
    "Per model and version: requests, answers by source (student, teacher, cache, degraded), teacher failures by kind, the teacher breaker's state, histograms of student inference, teacher call and request time and of the routing score, the estimated money saved, and each teacher budget (limit, use and refusals in the current window, as last read from its global counter). The figures are one isolate's since it started: for global figures use GET /admin/stats or Analytics Engine.",
  // Open unless METRICS_TOKEN is set.
  security: [{}, { metricsToken: [] }],
  responses: {
    200: {
      description: "Prometheus text exposition format",
      content: { [CONTENT_TYPE]: { schema: z.string() } },
    },
    ...errorResponses(401, 403, 500),
  },
});

/** GET /metrics: this isolate's figures in the Prometheus text format (prometheus.ts). */
export function metricsRoutes(telemetry: IsolateTelemetry): DocumentedApp {
  const app = documentedApp();
  app.openAPIRegistry.registerComponent("securitySchemes", "metricsToken", METRICS_TOKEN_SCHEME);
  return mount(app, metricsRoute, metricsAuth<AppEnv>(), (c) => {
    const body = writeExposition([
      ...telemetry.metrics.families(breakers(c.var.services)),
      ...budgetFamilies(budgetReadings()),
    ]);
    return c.body(body, 200, { "content-type": CONTENT_TYPE, "cache-control": "no-store" });
  });
}

/** Each served model's teacher breaker, when its teacher port can tell (the production client can). */
function breakers({ registry, teacherFor }: Services): BreakerReading[] {
  const readings: BreakerReading[] = [];
  for (const model of registry.names()) {
    const teacher = teacherFor(model, registry.definition(model));
    if (!teacher.port.breakerState) continue;
    readings.push({ model, teacherModel: teacher.model, state: teacher.port.breakerState(teacher.model) });
  }
  return readings;
}
