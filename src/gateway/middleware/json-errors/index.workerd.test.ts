import { Hono } from "hono";
import { HTTPException } from "hono/http-exception";
import { describe, expect, it, vi } from "vitest";
import { ApiError } from "../../errors.ts";
import { ErrorResponse } from "../../schemas/error.ts";
import { jsonErrors, notFound, onError } from "./index.ts";

function app() {
  const a = new Hono();
  // Stands in for the request-id middleware: a header set before the handler runs.
  a.use(async (c, next) => {
    c.header("x-request-id", "trace-1");
    await next();
  });
  a.use(jsonErrors());
  a.get("/api-error", () => {
    throw new ApiError(415, "unsupported_media_type", "content-type must be application/json");
  });
  a.get("/http-exception", () => {
    throw new HTTPException(413, { message: "too big" });
  });
  a.get("/crash", () => {
    throw new TypeError("secret internals at line 42");
  });
  a.get("/plain-4xx", (c) => c.text("Payload Too Large", 413));
  a.get("/html-5xx", (c) => c.html("<h1>oops</h1>", 502));
  a.get("/ok", (c) => c.text("fine"));
  a.notFound(notFound);
  a.onError(onError);
  return a;
}

async function errorOf(res: Response) {
  expect(res.headers.get("content-type")).toMatch(/^application\/json/);
  return ErrorResponse.parse(await res.json()).error;
}

describe("json-errors", () => {
  it("renders an ApiError with its status, code and message", async () => {
    const res = await app().request("/api-error");
    expect(res.status).toBe(415);
    expect(await errorOf(res)).toEqual({
      code: "unsupported_media_type",
      message: "content-type must be application/json",
    });
  });

  it("maps Hono's HTTPException by status", async () => {
    const res = await app().request("/http-exception");
    expect(res.status).toBe(413);
    expect(await errorOf(res)).toEqual({ code: "payload_too_large", message: "too big" });
  });

  it("answers anything unexpected with a bare 500: no message, no stack", async () => {
    const log = vi.spyOn(console, "error").mockImplementation(() => {});
    const res = await app().request("/crash");
    expect(res.status).toBe(500);
    const text = await res.clone().text();
    expect(text).not.toContain("secret");
    expect(text).not.toContain("line 42");
    expect(await errorOf(res)).toEqual({ code: "internal", message: "internal error" });
    expect(log).toHaveBeenCalled();
    log.mockRestore();
  });

  it("rewrites error responses that are not JSON, and leaves successes alone", async () => {
    const plain = await app().request("/plain-4xx");
    expect(plain.status).toBe(413);
    expect(plain.headers.get("x-request-id")).toBe("trace-1");
    expect(await errorOf(plain)).toEqual({ code: "payload_too_large", message: "Payload Too Large" });
    const html = await app().request("/html-5xx");
    expect(html.status).toBe(502);
    expect(await errorOf(html)).toEqual({ code: "internal", message: "internal error" });
    const ok = await app().request("/ok");
    expect(await ok.text()).toBe("fine");
  });

  it("answers an unknown route with a JSON 404 naming it", async () => {
    const res = await app().request("/nope", { method: "DELETE" });
    expect(res.status).toBe(404);
    expect(await errorOf(res)).toEqual({ code: "not_found", message: "no route for DELETE /nope" });
  });
});
