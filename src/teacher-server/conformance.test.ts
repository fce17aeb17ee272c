import { gzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  chatRequest,
  getJson,
  type JsonReply,
  postJson,
  startTinyServer,
  type TinyServer,
} from "./test-helpers.ts";

/**
 * The teacher server as clients nobody here wrote use it: the official KServe/Triton HTTP clients'
 * request shapes (no Content-Type; a gzip body), and HTTP's HEAD, OPTIONS and content-coding rules.
 */
let t: TinyServer;
let url: string;
const MAX_BODY = 64 * 1024;
beforeAll(async () => {
  t = await startTinyServer({ maxBodyBytes: MAX_BODY });
  url = t.server.url;
});
afterAll(async () => {
  await t.stop();
});

const TEXTS = ["hello there", "see you soon"];
/**
 * What tritonclient.http's `infer` sends with `set_data_from_numpy(texts, binary_data=False)` and
 * `InferRequestedOutput(name, binary_data=False)`: this JSON with no Content-Type, only Content-Length
 * and geventhttpclient's User-Agent; `request_compression_algorithm="gzip"` gzips it and adds
 * `Content-Encoding: gzip`.
 */
const TRITON_JSON = JSON.stringify({
  inputs: [{ name: "text", shape: [TEXTS.length], datatype: "BYTES", data: TEXTS }],
  outputs: [
    { name: "probabilities", parameters: { binary_data: false } },
    { name: "label", parameters: { binary_data: false } },
  ],
});
const infer = () => `${url}/v2/models/tiny/infer`;

async function send(
  target: string,
  body: Uint8Array,
  headers: Record<string, string> = {},
): Promise<JsonReply> {
  const res = await fetch(target, {
    method: "POST",
    body,
    headers: {
      "content-length": String(body.length),
      "user-agent": "python/gevent-http-client-2.3.1",
      ...headers,
    },
  });
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: text === "" ? null : JSON.parse(text) };
}

const encode = (text: string) => new TextEncoder().encode(text);

function expectV2Error(res: JsonReply, status: number, message: RegExp): void {
  expect(res.status).toBe(status);
  expect(res.headers.get("content-type")).toMatch(/^application\/json/);
  expect(Object.keys(res.body as object)).toEqual(["error"]);
  expect((res.body as { error: string }).error).toMatch(message);
}

describe("official KServe/Triton client request shapes", () => {
  it("infers a request with no Content-Type, the same answer as with one", async () => {
    const typed = await postJson(infer(), TRITON_JSON);
    expect(typed.status).toBe(200);
    const untyped = await send(infer(), encode(TRITON_JSON));
    expect(untyped.status).toBe(200);
    expect(untyped.body).toEqual(typed.body);
  });

  it("infers a gzip body, the same answer as plain", async () => {
    const typed = await postJson(infer(), TRITON_JSON);
    const gz = await send(infer(), gzipSync(TRITON_JSON), { "content-encoding": "gzip" });
    expect(gz.status).toBe(200);
    expect(gz.body).toEqual(typed.body);
    // The OpenAI surface decodes gzip too (it still wants its Content-Type).
    const chat = chatRequest("tiny", "hello there");
    const plainChat = await postJson(`${url}/v1/chat/completions`, chat);
    const gzChat = await send(`${url}/v1/chat/completions`, gzipSync(JSON.stringify(chat)), {
      "content-encoding": "gzip",
      "content-type": "application/json",
    });
    expect(gzChat.status).toBe(200);
    expect((gzChat.body as { choices: unknown }).choices).toEqual(
      (plainChat.body as { choices: unknown }).choices,
    );
  });

  it("refuses a zip bomb with 413 (the cap is on the decoded size) and keeps serving", async () => {
    const bomb = gzipSync(`${TRITON_JSON.slice(0, -1)}${" ".repeat(16 * 1024 * 1024)}}`);
    expect(bomb.length).toBeLessThan(MAX_BODY);
    expectV2Error(await send(infer(), bomb, { "content-encoding": "gzip" }), 413, /larger than 65536 bytes/);
    expect((await send(infer(), encode(TRITON_JSON))).status).toBe(200);
  });

  it("415 with Accept-Encoding: gzip for other codings, 400 for a body that is not gzip", async () => {
    for (const coding of ["br", "deflate", "gzip, br"]) {
      const res = await send(infer(), encode(TRITON_JSON), { "content-encoding": coding });
      expectV2Error(res, 415, /content-encoding/);
      expect(res.headers.get("accept-encoding"), coding).toBe("gzip");
    }
    expectV2Error(
      await send(infer(), encode(TRITON_JSON), { "content-encoding": "gzip" }),
      400,
      /not valid gzip/,
    );
  });

  it("keeps 415 for a body declared as something other than JSON, and on the OpenAI surface without a type", async () => {
    expectV2Error(
      await send(infer(), encode(TRITON_JSON), { "content-type": "text/plain" }),
      415,
      /application\/json/,
    );
    const chat = await send(`${url}/v1/chat/completions`, encode(JSON.stringify(chatRequest("tiny", "hi"))));
    expect(chat.status).toBe(415);
  });
});

describe("HTTP method semantics", () => {
  it("answers HEAD like GET without a body", async () => {
    for (const path of ["/v2/health/live", "/v2/models/tiny", "/v1/models"]) {
      const get = await fetch(`${url}${path}`);
      const head = await fetch(`${url}${path}`, { method: "HEAD" });
      expect(head.status, path).toBe(200);
      expect(head.headers.get("content-type"), path).toBe(get.headers.get("content-type"));
      expect(head.headers.get("content-length"), path).toBe(get.headers.get("content-length"));
      expect(await head.text(), path).toBe("");
      expect((await get.text()).length, path).toBeGreaterThan(0);
    }
    expect((await fetch(`${url}/nope`, { method: "HEAD" })).status).toBe(404);
  });

  it("answers OPTIONS with 204 and Allow on a known path, 404 elsewhere", async () => {
    const post = await fetch(infer(), { method: "OPTIONS" });
    expect(post.status).toBe(204);
    expect(post.headers.get("allow")).toBe("POST, OPTIONS");
    const get = await fetch(`${url}/v2/health/ready`, { method: "OPTIONS" });
    expect(get.headers.get("allow")).toBe("GET, HEAD, OPTIONS");
    expect(await get.text()).toBe("");
    expect((await getJson(`${url}/v2/nothing`, { method: "OPTIONS" })).status).toBe(404);
  });
});
