import type { Hono } from "hono";
import { except } from "hono/combine";
import { adminRoutes } from "./admin/index.ts";
import { allOf } from "./answered.ts";
import type { Env } from "./bindings.ts";
import { teacherResolver } from "./cascade/model-teacher.ts";
import type { TeacherPort } from "./cascade/port.ts";
import { configFor, type GatewayConfig } from "./config.ts";
import type { AppEnv, Services } from "./context.ts";
import { dashboardRoutes } from "./dashboard/index.ts";
import { ApiError } from "./errors.ts";
import { agreementLog } from "./evidence/listener.ts";
import { shadowRun } from "./evidence/shadow.ts";
import { answerTrail } from "./feedback/trail.ts";
import { TrailBatches } from "./feedback/trail-batch.ts";
import { hardExampleLog } from "./hard-example-log/producer.ts";
import { HourlyRecordCap } from "./hard-example-log/record-cap.ts";
import { metricsRoutes } from "./metrics/route.ts";
import { INFERENCE_PATHS, IsolateTelemetry } from "./metrics/telemetry.ts";
import { methodAwareNotFound } from "./middleware/allowed-methods/index.ts";
import { apiKeyAuth } from "./middleware/api-key/index.ts";
import { clientCors } from "./middleware/cors/index.ts";
import { jsonErrors, notFound, onError } from "./middleware/json-errors/index.ts";
import { modelVersion } from "./middleware/model-version/index.ts";
import { perKeyRateLimit } from "./middleware/rate-limit/index.ts";
import { requestId } from "./middleware/request-id/index.ts";
import { BUNDLED_MODELS, type ModelPackage } from "./models/bundled.ts";
import { ModelCatalog } from "./models/catalog.ts";
import { documentedApp } from "./openapi.ts";
import { redactingTeacher } from "./privacy/teacher.ts";
import { chatRoutes } from "./routes/chat.ts";
import { classifyRoutes } from "./routes/classify.ts";
import { feedbackRoutes } from "./routes/feedback.ts";
import { healthRoutes } from "./routes/health.ts";
import { modelRoutes } from "./routes/models.ts";
import { serveOpenApi } from "./routes/openapi.ts";
import { v2Routes } from "./routes/v2.ts";
import { ALL_STAGES_ON, type StageSwitch } from "./stages.ts";
import { createTeacherClient } from "./teacher-client/client.ts";

/**
 * Builds the teacher port for an env. The app calls it at most once per env object (once per isolate in
 * workerd) and reuses the port.
 */
export type TeacherFactory = (env: Env, config: GatewayConfig) => TeacherPort;

/** The production wiring: the resilient client over the configured protocol (TEACHER_* variables). */
const defaultTeacher: TeacherFactory = (env, config) => createTeacherClient(config.teacher, env);

export interface AppOptions {
  /**
   * How to reach the default teacher for an env; by default the teacher side's client, configured by
   * TEACHER_*. A model whose definition names its own teacher gets that teacher's client instead.
   */
  teacher?: TeacherFactory;
  /** The model packages to serve; the ones bundled from models/ by default. */
  models?: Readonly<Record<string, ModelPackage>>;
  /** Which stages a request replays instead of doing: the HTTP benchmark's entry only (stages.ts). */
  stages?: (request: Request) => StageSwitch;
}

/**
 * The gateway as a Hono app. Configuration is parsed and the teacher port built once per env object
 * (once per isolate in workerd); the registry caches sessions per isolate.
 */
export function createApp(options: AppOptions = {}): Hono<AppEnv> {
  // The bundled packages plus what the registry (KV pointers, R2 versions) puts in their place.
  const catalog = new ModelCatalog(options.models ?? BUNDLED_MODELS);
  const registry = catalog.bundled;
  const makeTeacher = options.teacher ?? defaultTeacher;
  const services = new WeakMap<object, Services>();
  // This isolate's metrics and usage counts (src/gateway/metrics).
  const observed = new IsolateTelemetry();
  // This isolate's hourly bound on hard-example records per model; drops are counted in /metrics.
  const recordCap = new HourlyRecordCap((model, n) => observed.metrics.recordsDropped.inc([model], n));
  // This isolate's answer trail batches: the ids it issues name them (feedback/trail-batch.ts).
  const trailBatches = new TrailBatches();

  function servicesFor(env: Env | undefined): Services {
    const key: object = env ?? registry;
    let found = services.get(key);
    if (!found) {
      const config = configFor(env);
      if (!registry.has(config.defaultModel))
        throw new ApiError(
          500,
          "config_invalid",
          `configuration: DEFAULT_MODEL "${config.defaultModel}" is not a served model`,
        );
      // What the teacher may see of a text is REDACTION's to say, whoever the teacher is.
      const teacher = redactingTeacher(makeTeacher(env ?? {}, config), config.redaction);
      // Models whose definition names a teacher get their own client; the others share this port.
      found = {
        config,
        registry,
        teacherFor: teacherResolver(env ?? {}, config, teacher),
        answerTrail: trailBatches,
      };
      services.set(key, found);
    }
    return found;
  }

  const app = documentedApp();
  // Order matters: the request id first so every answer, errors included, carries it; then the JSON
  // safety net around everything else. An id the gateway issues names the trail batch its answer joins.
  app.use(
    requestId((c) => {
      const slot = trailBatches.issue();
      c.set("trailSlot", slot);
      return slot.id;
    }),
  );
  app.use(jsonErrors());
  const stagesFor = options.stages ?? (() => ALL_STAGES_ON);
  app.use(async (c, next) => {
    c.set("services", servicesFor(c.env));
    c.set("stages", stagesFor(c.req.raw));
    await next();
  });
  // Every inference request: telemetry times it, refused ones included; the route hands its answered
  // batch to the listeners set here (the hard-example log, the answer trail for feedback, telemetry),
  // and telemetry records it all once the response is ready.
  app.on("POST", INFERENCE_PATHS, async (c, next) => {
    if (c.var.stages.off("telemetry")) {
      c.set("onAnswered", () => {});
      return next();
    }
    const request = observed.start();
    const shadow = shadowRun(c, catalog);
    const labels = agreementLog(c, shadow);
    const trail = c.var.stages.off("trail") ? [] : [answerTrail(c, shadow)];
    c.set("onAnswered", allOf([hardExampleLog(c, recordCap, labels), ...trail, request.answered]));
    await next();
    request.finish(c);
  });
  // Client access to the inference API (docs/api.md "Access control"): CORS first, so a preflight is answered
  // before any key is asked for; then the API key; then its rate limit.
  for (const path of ["/v1/*", "/v2/*"]) app.use(path, clientCors(), apiKeyAuth(), perKeyRateLimit());
  // The admin routes manage the registry; they never need a request's view of it.
  app.route("/", adminRoutes(catalog));
  // The dashboard page and its assets: static, so before the per-request model view too.
  app.route("/", dashboardRoutes);
  app.use(except("/admin/*", modelVersion(catalog)));
  app.route("/", classifyRoutes);
  app.route("/", chatRoutes);
  app.route("/", feedbackRoutes);
  app.route("/", modelRoutes);
  app.route("/", healthRoutes);
  app.route("/", metricsRoutes(observed));
  app.route("/", v2Routes);
  // Last: the document covers every route declared above.
  serveOpenApi(app);
  // A known path with another method: 405 (OPTIONS: 204), with Allow; an unknown path: 404.
  app.notFound(methodAwareNotFound(app, notFound));
  app.onError(onError);
  return app;
}
