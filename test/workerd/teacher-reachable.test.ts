import { describe, expect, inject, it } from "vitest";

describe("local teacher servers started for the workerd tests", () => {
  it("are reachable from inside workerd over HTTP", async () => {
    const { healthy, failing } = inject("teachers");
    const meta = await fetch(`${healthy}/v2/models/clinc150`);
    expect(meta.status).toBe(200);
    const infer = await fetch(`${failing}/v2/models/clinc150/infer`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ inputs: [{ name: "text", datatype: "BYTES", shape: [1], data: ["hello"] }] }),
    });
    expect(infer.status).toBe(503);
  });
});
