import { Hono } from "hono";
import type { AppEnv, Services } from "../context.ts";
import { metricsAuth } from "./config.ts";
import type { BreakerReading } from "./gateway-metrics.ts";
import { CONTENT_TYPE, writeExposition } from "./prometheus.ts";
import type { IsolateTelemetry } from "./telemetry.ts";

/** GET /metrics: this isolate's figures in the Prometheus text format (prometheus.ts). */
export function metricsRoutes(telemetry: IsolateTelemetry): Hono<AppEnv> {
  return new Hono<AppEnv>().get("/metrics", metricsAuth(), (c) => {
    const body = writeExposition(telemetry.metrics.families(breakers(c.var.services)));
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
