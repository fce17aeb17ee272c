import { Hono } from "hono";
import { describe, expect, it, vi } from "vitest";
import { ApiError } from "../../errors.ts";
import { notFound, onError } from "../json-errors/index.ts";
import { MAX_LENGTH, REQUEST_ID_HEADER, requestId } from "./index.ts";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

function app() {
  const a = new Hono();
  a.use(requestId());
  a.get("/ok", (c) => c.json({ id: c.get("requestId") }));
  a.get("/throws", () => {
    throw new ApiError(400, "invalid_request", "nope");
  });
  a.get("/crash", () => {
    throw new Error("boom");
  });
  a.notFound(notFound);
  a.onError(onError);
  return a;
}

describe("request-id middleware", () => {
  it("generates a UUID when the client sends none, and exposes it to handlers", async () => {
    const res = await app().request("/ok");
    const id = res.headers.get(REQUEST_ID_HEADER);
    expect(id).toMatch(UUID);
    expect(await res.json()).toEqual({ id });
    expect((await app().request("/ok")).headers.get(REQUEST_ID_HEADER)).not.toBe(id);
  });

  it("echoes a sane incoming id", async () => {
    for (const id of ["abc-123", "A_b=c", "x".repeat(MAX_LENGTH)]) {
      const res = await app().request("/ok", { headers: { "x-request-id": id } });
      expect(res.headers.get(REQUEST_ID_HEADER)).toBe(id);
    }
  });

  it("replaces an id that is too long or has characters that do not belong in a header or log", async () => {
    for (const id of ["x".repeat(MAX_LENGTH + 1), "a b", "a;b", "<script>", "a/b", "a\tb"]) {
      const res = await app().request("/ok", { headers: { "x-request-id": id } });
      expect(res.headers.get(REQUEST_ID_HEADER)).toMatch(UUID);
    }
  });

  it("is on error answers too: thrown, unexpected and no route", async () => {
    const log = vi.spyOn(console, "error").mockImplementation(() => {});
    for (const [path, status] of [
      ["/throws", 400],
      ["/crash", 500],
      ["/missing", 404],
    ] as const) {
      const res = await app().request(path, { headers: { "x-request-id": "trace-7" } });
      expect(res.status).toBe(status);
      expect(res.headers.get(REQUEST_ID_HEADER)).toBe("trace-7");
    }
    log.mockRestore();
  });
});
