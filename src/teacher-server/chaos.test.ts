import { describe, expect, it } from "vitest";
import { mulberry32 } from "../core/random.ts";
import {
  chatRequest,
  getJson,
  postJson,
  startTinyServer,
  type TinyServer,
  v2Request,
} from "./test-helpers.ts";

async function withServer<T>(
  options: Parameters<typeof startTinyServer>[0],
  fn: (t: TinyServer) => Promise<T>,
) {
  const t = await startTinyServer(options);
  try {
    return await fn(t);
  } finally {
    await t.stop();
  }
}

const inferUrl = (t: TinyServer) => `${t.server.url}/v2/models/tiny/infer`;
const chatUrl = (t: TinyServer) => `${t.server.url}/v1/chat/completions`;

describe("--latency-ms", () => {
  it("delays every inference answer by at least the latency", async () => {
    const latency = 120;
    await withServer({ latencyMs: latency }, async (t) => {
      for (const call of [
        () => postJson(inferUrl(t), v2Request(["hello"])),
        () => postJson(chatUrl(t), chatRequest("tiny", "hello")),
      ]) {
        const started = performance.now();
        const res = await call();
        // Node timers have millisecond granularity; allow that one millisecond, nothing more.
        expect(performance.now() - started).toBeGreaterThanOrEqual(latency - 1);
        expect(res.status).toBe(200);
      }
    });
  });
});

describe("--fail-rate", () => {
  it("1 answers every inference request with 503 and a JSON error, but health and 4xx stay as they are", async () => {
    await withServer({ failRate: 1 }, async (t) => {
      for (let i = 0; i < 10; i++) {
        const v2 = await postJson(inferUrl(t), v2Request([`text ${i}`]));
        expect(v2.status).toBe(503);
        expect((v2.body as { error: string }).error).toMatch(/simulated failure/);
        const chat = await postJson(chatUrl(t), chatRequest("tiny", `text ${i}`));
        expect(chat.status).toBe(503);
        expect(chat.body).toMatchObject({ error: { type: "server_error", code: "service_unavailable" } });
      }
      expect((await getJson(`${t.server.url}/v2/health/ready`)).status).toBe(200);
      expect((await getJson(`${t.server.url}/v2/models/tiny`)).status).toBe(200);
      expect((await postJson(inferUrl(t), v2Request([""]))).status).toBe(400);
    });
  });

  it("0 never fails", async () => {
    await withServer({ failRate: 0 }, async (t) => {
      const statuses = await Promise.all(
        Array.from({ length: 30 }, (_, i) => postJson(inferUrl(t), v2Request([`text ${i}`]))),
      );
      expect(statuses.every((r) => r.status === 200)).toBe(true);
    });
  });

  it("a fraction fails in the order the seed dictates, the same on every run", async () => {
    const run = () =>
      withServer({ failRate: 0.5, seed: 42 }, async (t) => {
        const statuses: number[] = [];
        // Sequential, so draw i belongs to request i.
        for (let i = 0; i < 24; i++) statuses.push((await postJson(inferUrl(t), v2Request(["hi"]))).status);
        return statuses;
      });
    const first = await run();
    const draw = mulberry32(42);
    expect(first).toEqual(Array.from({ length: 24 }, () => (draw() < 0.5 ? 503 : 200)));
    expect(first).toContain(200);
    expect(first).toContain(503);
    expect(await run()).toEqual(first);
  });
});
