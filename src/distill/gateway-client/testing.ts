import { createHash } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { Readable } from "node:stream";
import type { FeedbackRecord } from "../../core/feedback.ts";
import type { HardExampleRecord, HardExampleRoute } from "../../core/hard-example.ts";
import { openAiModel } from "../../gateway/schemas/models.ts";

/** Test helpers: hard-example records and a tiny stand-in gateway speaking the admin contract. */

export const TEST_TOKEN = "t".repeat(40);

export function record(
  text: string,
  options: {
    route?: HardExampleRoute;
    label?: string | null;
    probs?: number[] | null;
    ts?: string;
    model?: string;
    id?: string;
    /** null: a record of a model with no student yet. */
    student?: null;
    protocol?: string;
    /** P(logged): below 1 for an audit record, sampled at the audit rate. */
    loggedP?: number;
  } = {},
): HardExampleRecord {
  const model = options.model ?? "m";
  const label = options.label === undefined ? "a" : options.label;
  return {
    id: options.id ?? createHash("sha256").update(`${model}\n${text.toLowerCase()}`).digest("hex"),
    ts: options.ts ?? "2026-01-01T00:00:00.000Z",
    model,
    version: "1.0.0",
    text,
    redactions: {},
    student: options.student === null ? null : { label: "a", confidence: 0.4, probs: [0.4, 0.35, 0.25] },
    teacher:
      label === null
        ? null
        : {
            label,
            confidence: 0.9,
            ...(options.probs !== undefined ? { probs: options.probs } : {}),
            protocol: options.protocol ?? "kserve-v2",
            latency_ms: 3,
          },
    route: options.route ?? "teacher",
    reason: "low_margin",
    request_id: "req",
    ...(options.loggedP !== undefined ? { logged_p: options.loggedP } : {}),
  };
}

/** A client's true label for `text`, as GET /admin/feedback sends it; its example id is record()'s id. */
export function feedbackRecord(text: string, label: string, ts = "2026-01-02T00:00:00.000Z"): FeedbackRecord {
  const exampleId = createHash("sha256").update(`m\n${text.toLowerCase()}`).digest("hex");
  return {
    kind: "feedback",
    id: createHash("sha256").update(`m\nexample\n${exampleId}`).digest("hex"),
    example_id: exampleId,
    ts,
    model: "m",
    version: null,
    text,
    redactions: {},
    label,
    request_id: null,
    index: null,
    source: null,
    student_label: null,
    teacher_label: null,
  };
}

export interface FakeGatewayState {
  /** The live student's figures, or null for a model with no student yet. */
  live: { version: string; n: number; accuracy: number; teacherRate: number; sha256?: string } | null;
  /** The live model's labels (GET /v1/models/m), in the order its probabilities follow. */
  labels: string[];
  /** Labels of the model's definition (PUT /admin/models/{name}: a model created from a label set alone). */
  registryLabels: string[] | null;
  versions: string[];
  /** The raw export body (NDJSON). */
  exportBody: string;
  /** The raw feedback export body (NDJSON of FeedbackRecord). */
  feedbackBody: string;
  uploads: { path: string; manifest: string; onnx: Uint8Array }[];
  /** A version stored in the registry, served by GET /admin/models/m/versions/{version}/{file}. */
  stored: { version: string; manifest: string; onnx: Uint8Array } | null;
  promotions: unknown[];
  exportQueries: URLSearchParams[];
}

export interface FakeGateway {
  url: string;
  state: FakeGatewayState;
  close(): Promise<void>;
}

export async function startFakeGateway(state: Partial<FakeGatewayState> = {}): Promise<FakeGateway> {
  const s: FakeGatewayState = {
    live: { version: "1.0.0", n: 3, accuracy: 0.5, teacherRate: 0.2 },
    labels: ["a", "b", "c"],
    registryLabels: null,
    versions: [],
    exportBody: "",
    feedbackBody: "",
    uploads: [],
    stored: null,
    promotions: [],
    exportQueries: [],
    ...state,
  };
  const server: Server = createServer((req, res) => {
    handle(s, req, res).catch((error: unknown) =>
      send(res, 500, { error: { code: "x", message: String(error) } }),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}`,
    state: s,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

/** A model as GET /v1/models lists it (every field of the gateway's ModelSummary). */
function modelSummary(s: FakeGatewayState, live: NonNullable<FakeGatewayState["live"]>) {
  const { version, n, accuracy, teacherRate } = live;
  return {
    name: "m",
    version,
    task: "text-classification",
    default: true,
    classes: s.labels.length,
    out_of_scope_label: null,
    routing: { score: "max_prob", threshold: 0.5, target: { kind: "teacher_rate", value: 0.25 } },
    calibration: { temperature: 1 },
    evaluation: {
      split: "test",
      n,
      student_accuracy: accuracy,
      teacher_accuracy: 1,
      student_ece: 0.05,
      cascade_accuracy: accuracy,
      cascade_teacher_rate: teacherRate,
    },
    loaded: false,
  };
}

/** GET /v1/models/m of a model with a label set and no student yet, as the gateway's ModelDetail says. */
function definedModel(labels: string[]) {
  return {
    name: "m",
    version: "none",
    task: "text-classification",
    default: true,
    classes: labels.length,
    out_of_scope_label: null,
    routing: null,
    calibration: null,
    evaluation: null,
    loaded: false,
    labels,
  };
}

function send(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { "content-type": "application/json" });
  res.end(JSON.stringify(body));
}

async function handle(s: FakeGatewayState, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const url = new URL(req.url ?? "/", "http://x");
  if (url.pathname === "/v1/models")
    return send(res, 200, {
      default_model: "m",
      models: s.live ? [modelSummary(s, s.live)] : [],
      object: "list",
      data: s.live ? [openAiModel("m")] : [],
    });
  if (url.pathname === "/v1/models/m") {
    // A model defined from a label set is served by its teacher before it has a student (version "none").
    if (!s.live && s.registryLabels) return send(res, 200, definedModel(s.registryLabels));
    if (!s.live) return send(res, 404, { error: { code: "model_not_found", message: "no model m" } });
    return send(res, 200, { ...modelSummary(s, s.live), labels: s.labels });
  }
  if (req.headers.authorization !== `Bearer ${TEST_TOKEN}`)
    return send(res, 401, { error: { code: "unauthorized", message: "bad token" } });
  if (url.pathname === "/admin/hard-examples") {
    s.exportQueries.push(url.searchParams);
    const lines = s.exportBody.split("\n").filter((l) => l.trim() !== "").length;
    res.writeHead(200, { "content-type": "application/x-ndjson", "x-hard-examples-indexed": String(lines) });
    // Two writes split mid-line, as a real stream may arrive.
    const cut = Math.floor(s.exportBody.length / 2);
    res.write(s.exportBody.slice(0, cut));
    res.end(s.exportBody.slice(cut));
    return;
  }
  if (url.pathname === "/admin/feedback") {
    res.writeHead(200, { "content-type": "application/x-ndjson" });
    return void res.end(s.feedbackBody);
  }
  if (url.pathname === "/admin/models/m" && req.method === "GET") {
    if (!s.live && s.versions.length === 0 && !s.registryLabels)
      return send(res, 404, { error: { code: "model_not_found", message: "no model m" } });
    const version = (v: string, sha256: string | undefined) => ({
      version: v,
      source: "registry",
      bytes: 1,
      sha256: sha256 ?? "0".repeat(64),
      uploaded_at: null,
    });
    return send(res, 200, {
      name: "m",
      live: s.live?.version ?? null,
      previous: [],
      canary: null,
      shadow: null,
      updated_at: null,
      versions: [
        ...(s.live ? [version(s.live.version, s.live.sha256)] : []),
        ...s.versions.map((v) => version(v, undefined)),
      ],
      definition: s.registryLabels
        ? { labels: s.registryLabels, outOfScopeLabel: null, teacher: null }
        : null,
      warnings: [],
    });
  }
  if (url.pathname.startsWith("/admin/models/m/versions/") && req.method === "PUT") {
    const request = new Request(url, {
      method: "PUT",
      headers: req.headers as Record<string, string>,
      body: Readable.toWeb(req) as ReadableStream<Uint8Array>,
      duplex: "half",
    } as RequestInit);
    const form = await request.formData();
    const manifest = form.get("manifest");
    const onnx = form.get("onnx");
    if (!(manifest instanceof Blob) || !(onnx instanceof Blob))
      return send(res, 400, { error: { code: "invalid_upload", message: "parts missing" } });
    const bytes = new Uint8Array(await onnx.arrayBuffer());
    s.uploads.push({ path: url.pathname, manifest: await manifest.text(), onnx: bytes });
    const version = decodeURIComponent(url.pathname.split("/").at(-1)!);
    s.versions.push(version);
    const sha256 = createHash("sha256").update(bytes).digest("hex");
    return send(res, 201, { name: "m", version, bytes: bytes.length, sha256 });
  }
  const file = /^\/admin\/models\/m\/versions\/([^/]+)\/(manifest\.json|student\.onnx)$/.exec(url.pathname);
  if (file && req.method === "GET") {
    const stored = s.stored?.version === decodeURIComponent(file[1]!) ? s.stored : null;
    if (!stored) return send(res, 404, { error: { code: "version_not_found", message: url.pathname } });
    if (file[2] === "manifest.json") return send(res, 200, JSON.parse(stored.manifest));
    res.writeHead(200, { "content-type": "application/octet-stream" });
    return void res.end(stored.onnx);
  }
  if (url.pathname === "/admin/models/m/promote" && req.method === "POST") {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    s.promotions.push(JSON.parse(Buffer.concat(chunks).toString("utf8")));
    return send(res, 200, { live: "x" });
  }
  send(res, 404, { error: { code: "not_found", message: url.pathname } });
}
