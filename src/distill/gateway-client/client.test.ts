import { afterEach, describe, expect, it } from "vitest";
import { z } from "zod";
import { GatewayClient, GatewayError } from "./client.ts";
import { NdjsonError, parseNdjson } from "./ndjson.ts";
import { type FakeGateway, record, startFakeGateway, TEST_TOKEN } from "./testing.ts";

async function* chunks(...parts: (string | Uint8Array)[]): AsyncGenerator<Uint8Array> {
  for (const p of parts) yield typeof p === "string" ? new TextEncoder().encode(p) : p;
}

async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}

const Row = z.object({ n: z.number() }).strict();

describe("parseNdjson", () => {
  it("parses lines split anywhere, including inside a multi-byte character", async () => {
    const bytes = new TextEncoder().encode('{"n":1}\n{"n":2,"s":"é"}\n');
    const rows = await collect(
      parseNdjson(
        chunks(bytes.slice(0, 3), bytes.slice(3, 21), bytes.slice(21)),
        z.object({ n: z.number() }),
        "t",
      ),
    );
    expect(rows).toEqual([{ n: 1 }, { n: 2 }]);
  });

  it("skips blank lines and accepts a last line without its newline", async () => {
    expect(await collect(parseNdjson(chunks('\n{"n":1}\r\n\n{"n":2}'), Row, "t"))).toEqual([
      { n: 1 },
      { n: 2 },
    ]);
  });

  it("names the line of a record that does not fit the schema", async () => {
    const run = collect(parseNdjson(chunks('{"n":1}\n\n{"n":"two"}\n{"n":3}\n'), Row, "export"));
    await expect(run).rejects.toThrow(NdjsonError);
    await expect(run).rejects.toThrow(/^export: line 3: .*n/s);
  });

  it("names the line of invalid JSON, such as a stream cut mid-record", async () => {
    await expect(collect(parseNdjson(chunks('{"n":1}\n{"n":'), Row, "export"))).rejects.toThrow(
      /export: line 2: invalid JSON/,
    );
  });
});

describe("GatewayClient against a stand-in gateway", () => {
  let gateway: FakeGateway;
  afterEach(() => gateway?.close());

  it("streams and validates hard examples, sending the token and the filters", async () => {
    const records = [record("one"), record("two", { route: "audit", probs: [0.1, 0.8, 0.1] })];
    gateway = await startFakeGateway({ exportBody: `${records.map((r) => JSON.stringify(r)).join("\n")}\n` });
    const client = new GatewayClient(gateway.url, TEST_TOKEN);
    const got = await client.allHardExamples({ model: "m", since: "2026-01-01T00:00:00Z", route: "audit" });
    expect(got).toEqual({ indexed: 2, records });
    const query = gateway.state.exportQueries[0]!;
    expect(Object.fromEntries(query)).toEqual({
      model: "m",
      since: "2026-01-01T00:00:00Z",
      route: "audit",
      limit: "100000",
    });
  });

  it("fails on a record that breaks the contract, naming its line", async () => {
    const bad = { ...record("two"), teacher: { label: "a", confidence: 2, protocol: "x", latency_ms: 1 } };
    gateway = await startFakeGateway({
      exportBody: [record("one"), bad, record("three")].map((r) => JSON.stringify(r)).join("\n"),
    });
    const client = new GatewayClient(gateway.url, TEST_TOKEN);
    await expect(client.allHardExamples({ model: "m" })).rejects.toThrow(
      /hard-examples\?model=m&limit=100000: line 2: .*confidence/s,
    );
  });

  it("turns a rejected token into an error that says what to check", async () => {
    gateway = await startFakeGateway();
    const client = new GatewayClient(gateway.url, "x".repeat(32));
    const error = await client.allHardExamples({ model: "m" }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(GatewayError);
    expect(error).toMatchObject({ status: 401, code: "unauthorized" });
    expect((error as Error).message).toMatch(/ADMIN_TOKEN/);
  });

  it("refuses a token shorter than the gateway accepts before sending it", () => {
    expect(() => new GatewayClient("http://127.0.0.1:1", "short")).toThrow(/at least 32/);
  });

  it("uploads manifest and ONNX as multipart parts and promotes, as a canary when asked", async () => {
    gateway = await startFakeGateway();
    const client = new GatewayClient(gateway.url, TEST_TOKEN);
    const onnx = Uint8Array.from({ length: 1000 }, (_, i) => i % 251);
    const up = await client.upload("m", "1.0.1", '{"name":"m"}', onnx);
    expect(up).toMatchObject({ name: "m", version: "1.0.1", bytes: 1000 });
    expect(gateway.state.uploads[0]!.path).toBe("/admin/models/m/versions/1.0.1");
    expect(gateway.state.uploads[0]!.manifest).toBe('{"name":"m"}');
    expect(gateway.state.uploads[0]!.onnx).toEqual(onnx);
    await client.promote("m", "1.0.1", 10);
    await client.promote("m", "1.0.1");
    expect(gateway.state.promotions).toEqual([
      { version: "1.0.1", canary_percent: 10 },
      { version: "1.0.1" },
    ]);
  });

  it("reads the live version and its figures, and says when the model is not served", async () => {
    gateway = await startFakeGateway();
    const client = new GatewayClient(gateway.url, null);
    expect(await client.liveModel("m")).toMatchObject({ version: "1.0.0", evaluation: { n: 3 } });
    await expect(client.liveModel("nope")).rejects.toThrow(/serves no model "nope"/);
  });
});
