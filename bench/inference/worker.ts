/**
 * The bench-only Worker of `npm run bench:inference` (bench/inference/wrangler.toml). It runs the shipped
 * CLINC150 student through exactly the gateway's code path (the bundled package, sessions.ts over
 * runtime/onnx-session.ts: onnxruntime-web WASM in workerd), and the TypeScript forward pass over the
 * weights the gateway reads for explanations. Timing happens in here, in batches (measure.ts), because
 * workerd's clock ticks in whole milliseconds; the driver asks for one series at a time.
 *   POST /time   TimeRequest   → TimeResponse (JSON)
 *   POST /logits LogitsRequest → float32 row-major [texts × classes] (application/octet-stream)
 */
import type { z } from "zod";
import { featurize } from "../../src/core/featurizer.ts";
import { ModelManifest } from "../../src/core/manifest.ts";
import { ApiError, describeIssues } from "../../src/gateway/errors.ts";
import { BUNDLED_MODELS } from "../../src/gateway/models/bundled.ts";
import { openModel, weightsOf } from "../../src/gateway/models/sessions.ts";
import { type Engine, engineCall, engineLogits, featurizeCall, timeSeries, tsEngine } from "./measure.ts";
import { LogitsRequest, TimeRequest, type TimeResponse, type WorkerEngine } from "./protocol.ts";

const MODEL = "clinc150";

interface Model {
  manifest: ModelManifest;
  engines: Record<WorkerEngine, Engine>;
}

let loading: Promise<Model> | null = null;

/** The gateway's session and the TypeScript weights, once per isolate. */
function model(): Promise<Model> {
  loading ??= (async () => {
    const pkg = BUNDLED_MODELS[MODEL];
    if (!pkg) throw new Error(`no bundled model ${MODEL}`);
    const manifest = ModelManifest.parse(pkg.manifest);
    const session = await openModel(MODEL, manifest, pkg);
    const members = weightsOf(MODEL, manifest, pkg);
    if (members.length !== 1 || !members[0]) throw new Error(`${MODEL}: expected a one-member student`);
    return { manifest, engines: { "ort-web": (bags) => session.logits(bags), ts: tsEngine(members[0]) } };
  })();
  // A failed load is not kept, so the next request tries again.
  loading.catch(() => {
    loading = null;
  });
  return loading;
}

const clock = () => performance.now();

async function time(request: TimeRequest, startMs: number): Promise<TimeResponse> {
  const { manifest, engines } = await model();
  const { texts, target, size } = request;
  const call =
    target === "featurize"
      ? featurizeCall((t) => featurize(t, manifest.featurizer), texts)
      : engineCall(
          engines[target],
          texts.map((t) => featurize(t, manifest.featurizer)),
          size,
        );
  const times = await timeSeries(call, size, request, clock);
  return { times, elapsedMs: clock() - startMs };
}

async function logits(request: LogitsRequest): Promise<Float32Array> {
  const { manifest, engines } = await model();
  const bags = request.texts.map((t) => featurize(t, manifest.featurizer));
  return engineLogits(engines[request.engine], bags, request.size, manifest.labels.length);
}

async function parse<T>(request: Request, schema: z.ZodType<T>): Promise<T> {
  let body: unknown;
  try {
    body = await request.json();
  } catch {
    throw new ApiError(400, "invalid_json", "the body is not JSON");
  }
  const parsed = schema.safeParse(body);
  if (!parsed.success) throw new ApiError(400, "invalid_request", describeIssues(parsed.error));
  return parsed.data;
}

async function route(request: Request): Promise<Response> {
  const startMs = clock();
  const { pathname } = new URL(request.url);
  if (request.method === "POST" && pathname === "/time")
    return Response.json(await time(await parse(request, TimeRequest), startMs));
  if (request.method === "POST" && pathname === "/logits") {
    const rows = await logits(await parse(request, LogitsRequest));
    return new Response(rows, { headers: { "content-type": "application/octet-stream" } });
  }
  throw new ApiError(404, "not_found", `no route ${request.method} ${pathname}`);
}

export default {
  async fetch(request: Request): Promise<Response> {
    try {
      return await route(request);
    } catch (error) {
      const apiError =
        error instanceof ApiError ? error : new ApiError(500, "internal", (error as Error).message);
      return Response.json(apiError.toBody(), { status: apiError.status });
    }
  },
} satisfies ExportedHandler;
