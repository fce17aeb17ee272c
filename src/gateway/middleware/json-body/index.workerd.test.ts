import { Hono } from "hono";
import { describe, expect, it } from "vitest";
import { notFound, onError } from "../json-errors/index.ts";
import { type JsonBodyVariables, jsonBody } from "./index.ts";

const LIMIT = 64;

function app() {
  const a = new Hono<{ Variables: JsonBodyVariables }>();
  a.post("/echo", jsonBody({ maxBytes: () => LIMIT }), (c) => c.json({ got: c.get("jsonBody") }));
  a.notFound(notFound);
  a.onError(onError);
  return a;
}

const send = (body: BodyInit, headers: Record<string, string> = { "content-type": "application/json" }) =>
  app().request("/echo", { method: "POST", body, headers });

async function codeOf(res: Response): Promise<string> {
  return ((await res.json()) as { error: { code: string } }).error.code;
}

/** A body without Content-Length: bodyLimit must count while streaming. */
function stream(text: string): ReadableStream<Uint8Array> {
  const bytes = new TextEncoder().encode(text);
  return new ReadableStream({
    start(controller) {
      for (let i = 0; i < bytes.length; i += 10) controller.enqueue(bytes.slice(i, i + 10));
      controller.close();
    },
  });
}

describe("json-body", () => {
  it("passes the parsed JSON on, whatever JSON value it is", async () => {
    for (const value of [{ a: 1 }, [1, 2], "s", 3, null, true]) {
      const res = await send(JSON.stringify(value));
      expect(res.status).toBe(200);
      expect(await res.json()).toEqual({ got: value });
    }
    const charset = await send('{"a":1}', { "content-type": "Application/JSON; charset=utf-8" });
    expect(charset.status).toBe(200);
  });

  it("415 unless the content type is application/json", async () => {
    for (const type of [
      null,
      "text/plain",
      "application/x-www-form-urlencoded",
      "application/jsonp",
      "application/problem+json",
    ]) {
      const res = await send('{"a":1}', type === null ? {} : { "content-type": type });
      expect(res.status, String(type)).toBe(415);
      expect(await codeOf(res)).toBe("unsupported_media_type");
    }
  });

  it("413 over the limit, by Content-Length or while streaming", async () => {
    const big = JSON.stringify({ text: "x".repeat(LIMIT) });
    const declared = await send(big);
    expect(declared.status).toBe(413);
    expect(await codeOf(declared)).toBe("payload_too_large");
    const streamed = await app().request("/echo", {
      method: "POST",
      body: stream(big),
      headers: { "content-type": "application/json" },
    });
    expect(streamed.status).toBe(413);
    // Exactly at the limit is fine.
    const exact = JSON.stringify({ t: "y".repeat(LIMIT - 8) });
    expect(new TextEncoder().encode(exact).length).toBe(LIMIT);
    expect((await send(exact)).status).toBe(200);
    expect(
      (
        await app().request("/echo", {
          method: "POST",
          body: stream(exact),
          headers: { "content-type": "application/json" },
        })
      ).status,
    ).toBe(200);
  });

  it("400 invalid_json for bytes that are not JSON, including an empty body", async () => {
    for (const body of ["", "{", "{'a': 1}", "NaN", "\u0000", '{"a":1}x']) {
      const res = await send(body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(await codeOf(res)).toBe("invalid_json");
    }
  });
});
