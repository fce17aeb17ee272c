import { describe, expect, it } from "vitest";
import app from "../../src/gateway/index.ts";

describe("gateway skeleton", () => {
  it("answers /healthz", async () => {
    const res = await app.fetch(new Request("http://gw/healthz"));
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: "ok" });
  });

  it("answers unknown routes with a JSON 404", async () => {
    const res = await app.fetch(new Request("http://gw/nope"));
    expect(res.status).toBe(404);
    const body = (await res.json()) as { error: { code: string; message: string } };
    expect(body.error.code).toBe("not_found");
    expect(body.error.message).toContain("/nope");
  });
});
