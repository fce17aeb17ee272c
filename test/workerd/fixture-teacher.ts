import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { type AddressInfo, connect, type Socket } from "node:net";

/**
 * A small real HTTP server (Node) for the teacher client's workerd tests: an http-json teacher that
 * answers by calling the real local teacher model, plus the faults a remote teacher can have, and a
 * request counter so tests can assert how many calls reached the teacher.
 *
 * `ANY /k/{key}/{rest}`: counted under `key`, answered by the key's mode. The mode starts as the part of
 * the key before the first "." (`/k/503.retry/...` answers 503) and can be changed with
 * `POST /mode/{key}` `{"mode"}`. `GET /count/{key}` → `{"count", "mode"}`; `DELETE /count/{key}` resets
 * the count to 0. `GET /bodies/{key}` → `{"bodies"}`: every request body the key received, as received.
 *
 * Modes:
 * - `ok`: `/v1/...` and `/v2/...` are proxied to the local teacher (kserve-v2, openai; answers, streamed
 *   ones too, as it sent them); any other rest
 *   `/{model}` is an http-json teacher: `{"text"}` → `{"label", "probs"}` from the local teacher's V2
 *   infer (`?probs=record` sends probs keyed by label, `?probs=none` leaves them out).
 * - `slow`: waits 400 ms, then as `ok`.  `fail1`: the first request gets 503, later ones as `ok`.
 * - `500`, `503`, `400`, `429`: that status with a JSON error.  `stall`: never answers.
 * - `malformed`: 200 with a body that is not JSON.  `truncated`: a 200 whose body stops half-way and
 *   whose connection is cut.  `bad-shape`: valid JSON that fits no protocol.
 * - `unknown-label`: a well-formed answer naming "not-a-label", in the protocol the path implies.
 * - `auth`: 401 unless the request carries its own key as a bearer token (`Authorization: Bearer {key}`),
 *   then as `ok`.
 * - `huge`: a 200 whose body never ends (1.5 GB at most), written as fast as the client reads it;
 *   `huge-declared` the same with that Content-Length. `GET /count/{key}` also says how many bytes went out.
 * - `trickle`: a 200 whose body starts, then gets one byte every 50 ms and never ends.
 * - KServe V2 variants of `ok` (metadata and infer proxied): `reordered` serves the columns of
 *   "probabilities" and the metadata's labels in reverse order (a teacher redeployed with another column
 *   order, still consistent); `reordered-probs-only` the same without the "label" output; `probs-only`
 *   as `ok` without it; `misordered` reverses the columns but not the metadata (inconsistent for good).
 */
export interface FixtureServer {
  url: string;
  close(): Promise<void>;
}

const UNKNOWN = "not-a-label";
const HUGE_BYTES = 1.5e9;

interface V2Json {
  parameters?: { labels?: string[] };
  outputs?: { name: string; shape: number[]; data: unknown[] }[];
}

/** Each row of an [n, c] tensor's flat data, reversed. */
function reverseColumns(shape: number[], data: unknown[]): unknown[] {
  const c = shape[1] ?? 1;
  return Array.from({ length: data.length / c }, (_, row) =>
    data.slice(row * c, row * c + c).reverse(),
  ).flat();
}

function send(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(text) });
  res.end(text);
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}

export async function startFixtureServer(teacherUrl: string): Promise<FixtureServer> {
  const counts = new Map<string, number>();
  const modes = new Map<string, string>();
  const labelsOf = new Map<string, Promise<string[]>>();
  const sockets = new Set<Socket>();
  const written = new Map<string, number>();
  const bodies = new Map<string, string[]>();

  const teacherLabels = (model: string) => {
    let labels = labelsOf.get(model);
    if (!labels) {
      labels = fetch(`${teacherUrl}/v2/models/${model}`)
        .then((r) => r.json() as Promise<{ parameters: { labels: string[] } }>)
        .then((m) => m.parameters.labels);
      labelsOf.set(model, labels);
    }
    return labels;
  };

  async function proxy(req: IncomingMessage, res: ServerResponse, rest: string, body: string) {
    const upstream = await fetch(`${teacherUrl}${rest}`, {
      method: req.method ?? "GET",
      headers: { "content-type": req.headers["content-type"] ?? "application/json" },
      ...(req.method === "POST" ? { body } : {}),
    });
    // As the teacher sent it: a JSON answer or a stream of server-sent events.
    const text = await upstream.text();
    res.writeHead(upstream.status, {
      "content-type": upstream.headers.get("content-type") ?? "application/json",
      "content-length": Buffer.byteLength(text),
    });
    res.end(text);
  }

  async function httpJson(res: ServerResponse, model: string, query: URLSearchParams, body: string) {
    const { text } = JSON.parse(body) as { text: string };
    const infer = await fetch(`${teacherUrl}/v2/models/${model}/infer`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        inputs: [{ name: "text", datatype: "BYTES", shape: [1], data: [text] }],
        outputs: [{ name: "probabilities" }, { name: "label" }],
      }),
    });
    const answer = (await infer.json()) as { outputs: { name: string; data: (number | string)[] }[] };
    const probs = answer.outputs.find((o) => o.name === "probabilities")!.data as number[];
    const label = answer.outputs.find((o) => o.name === "label")!.data[0] as string;
    const labels = await teacherLabels(model);
    const format = query.get("probs");
    if (format === "none") return send(res, 200, { label });
    if (format === "record") {
      return send(res, 200, { label, probs: Object.fromEntries(labels.map((l, i) => [l, probs[i]])) });
    }
    send(res, 200, { label, probs });
  }

  /** A V2 answer of the local teacher, columns and labels changed as `mode` says (see the modes above). */
  async function v2Variant(
    req: IncomingMessage,
    res: ServerResponse,
    rest: string,
    body: string,
    mode: string,
  ) {
    const upstream = await fetch(`${teacherUrl}${rest}`, {
      method: req.method ?? "GET",
      headers: { "content-type": "application/json" },
      ...(req.method === "POST" ? { body } : {}),
    });
    const answer = (await upstream.json()) as V2Json;
    const reverse = mode === "reordered" || mode === "reordered-probs-only" || mode === "misordered";
    if (!rest.endsWith("/infer")) {
      const labels = answer.parameters?.labels;
      if (labels && reverse && mode !== "misordered") answer.parameters!.labels = [...labels].reverse();
      return send(res, upstream.status, answer);
    }
    const dropLabel = mode.endsWith("probs-only");
    answer.outputs = (answer.outputs ?? [])
      .filter((o) => !(dropLabel && o.name === "label"))
      .map((o) =>
        reverse && o.name === "probabilities" ? { ...o, data: reverseColumns(o.shape, o.data) } : o,
      );
    send(res, upstream.status, answer);
  }

  /** A 200 whose body goes on until HUGE_BYTES or until the client stops reading; counts what went out. */
  function endless(res: ServerResponse, key: string, declare: boolean) {
    res.writeHead(200, {
      "content-type": "application/json",
      ...(declare ? { "content-length": HUGE_BYTES } : {}),
    });
    const chunk = Buffer.alloc(64 * 1024, "0,");
    let sent = 0;
    const pump = () => {
      while (sent < HUGE_BYTES && !res.destroyed) {
        sent += chunk.length;
        written.set(key, sent);
        if (!res.write(chunk)) return void res.once("drain", pump);
      }
      res.end();
    };
    res.write('{"label":"ham","probs":[');
    pump();
  }

  /** A 200 whose body starts, then gets a byte every 50 ms, for ever. */
  function trickle(res: ServerResponse) {
    res.writeHead(200, { "content-type": "application/json" });
    res.write('{"label":"ham"');
    const timer = setInterval(() => res.write(" "), 50);
    res.on("close", () => clearInterval(timer));
  }

  function unknownLabel(res: ServerResponse, rest: string, body: string) {
    if (rest.startsWith("/v1/")) {
      const content = JSON.stringify({ label: UNKNOWN });
      return send(res, 200, {
        object: "chat.completion",
        choices: [
          { index: 0, message: { role: "assistant", content }, logprobs: null, finish_reason: "stop" },
        ],
      });
    }
    if (rest.startsWith("/v2/") && !rest.endsWith("/infer")) {
      return send(res, 200, { name: "sms-spam", parameters: { labels: ["ham", UNKNOWN] } });
    }
    if (rest.startsWith("/v2/")) {
      const n = (JSON.parse(body) as { inputs: { shape: number[] }[] }).inputs[0]!.shape[0]!;
      const data = Array.from({ length: n }, () => [0.1, 0.9]).flat();
      return send(res, 200, { outputs: [{ name: "probabilities", datatype: "FP32", shape: [n, 2], data }] });
    }
    send(res, 200, { label: UNKNOWN, probs: [0.5, 0.5] });
  }

  async function behave(
    req: IncomingMessage,
    res: ServerResponse,
    key: string,
    mode: string,
    count: number,
    url: URL,
  ) {
    const rest = `/${url.pathname.split("/").slice(3).join("/")}`;
    const body = await readBody(req);
    bodies.set(key, [...(bodies.get(key) ?? []), body]);
    if (mode === "slow") {
      await new Promise((resolve) => setTimeout(resolve, 400));
      mode = "ok";
    }
    if (mode === "auth") {
      if (req.headers.authorization !== `Bearer ${key}`) {
        return send(res, 401, { error: "missing or wrong bearer token" });
      }
      mode = "ok";
    }
    if (mode === "fail1") {
      if (count === 1) return send(res, 503, { error: "first call fails" });
      mode = "ok";
    }
    switch (mode) {
      case "ok":
        if (rest.startsWith("/v1/") || rest.startsWith("/v2/")) return proxy(req, res, rest, body);
        return httpJson(res, rest.slice(1), url.searchParams, body);
      case "500":
      case "503":
      case "400":
      case "429":
        return send(res, Number(mode), { error: `fixture mode ${mode}` });
      case "stall":
        return; // Never answered; close() cuts the connection.
      case "malformed":
        res.writeHead(200, { "content-type": "application/json" });
        return res.end('{"label": "ham", "probs": [0.9');
      case "truncated":
        res.writeHead(200, { "content-type": "application/json", "content-length": 400 });
        res.write('{"label": "ham", "pro');
        setTimeout(() => res.socket?.destroy(), 20);
        return;
      case "bad-shape":
        return send(res, 200, { outputs: "none", choices: "none", label: 42 });
      case "unknown-label":
        return unknownLabel(res, rest, body);
      case "huge":
      case "huge-declared":
        return endless(res, key, mode === "huge-declared");
      case "trickle":
        return trickle(res);
      case "reordered":
      case "reordered-probs-only":
      case "probs-only":
      case "misordered":
        return v2Variant(req, res, rest, body, mode);
      default:
        return send(res, 400, { error: `unknown fixture mode ${mode}` });
    }
  }

  async function handle(req: IncomingMessage, res: ServerResponse) {
    const url = new URL(req.url ?? "/", "http://fixture");
    const [, route, key] = url.pathname.split("/");
    if (!key) return send(res, 404, { error: "no key" });
    const modeOf = () => modes.get(key) ?? key.split(".")[0]!;
    if (route === "count" && req.method === "DELETE") {
      counts.delete(key);
      return send(res, 200, { count: 0, mode: modeOf() });
    }
    if (route === "count")
      return send(res, 200, { count: counts.get(key) ?? 0, mode: modeOf(), written: written.get(key) ?? 0 });
    if (route === "bodies") return send(res, 200, { bodies: bodies.get(key) ?? [] });
    if (route === "mode" && req.method === "POST") {
      modes.set(key, (JSON.parse(await readBody(req)) as { mode: string }).mode);
      return send(res, 200, { count: counts.get(key) ?? 0, mode: modeOf() });
    }
    if (route !== "k") return send(res, 404, { error: "unknown route" });
    const count = (counts.get(key) ?? 0) + 1;
    counts.set(key, count);
    await behave(req, res, key, modeOf(), count, url);
  }

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (!res.headersSent) send(res, 500, { error: String(error) });
    });
  });
  server.on("connection", (socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

/**
 * An address nothing listens on, for good. A freed ephemeral port would not do: the kernel hands it to
 * the next server a parallel test file starts (seen in CI: "connection refused" answered 4xx). Ports
 * below 1024 are never handed out as ephemeral ports, so a low port found refusing stays refusing.
 * The candidates avoid the fetch spec's blocked ports (1, 7, 9, …), which a runtime may refuse itself.
 */
export async function closedPortUrl(): Promise<string> {
  for (const port of [2, 3, 4, 5, 6, 8, 10, 12, 14, 16]) {
    if (await refuses(port)) return `http://127.0.0.1:${port}`;
  }
  throw new Error("no low port on 127.0.0.1 refuses connections");
}

function refuses(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: "127.0.0.1", port });
    socket.once("connect", () => {
      socket.destroy();
      resolve(false);
    });
    socket.once("error", (error: NodeJS.ErrnoException) => resolve(error.code === "ECONNREFUSED"));
  });
}
