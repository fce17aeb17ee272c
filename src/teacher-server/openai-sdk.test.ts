import OpenAI from "openai";
import { zodResponseFormat } from "openai/helpers/zod";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import type { TokenLogprob } from "../core/openai-chat.ts";
import { TINY_KEYWORDS } from "./fixture.ts";
import { getJson, postJson, startTinyServer, type TinyServer, v2Request } from "./test-helpers.ts";

/**
 * The teacher's OpenAI surface as the official `openai` SDK uses it: plain and streamed completions,
 * n choices, response_format (text, json_object, a zod schema through `.parse()`), x-request-id, and
 * refusals as the SDK's typed errors.
 */
let t: TinyServer;
let client: OpenAI;
beforeAll(async () => {
  t = await startTinyServer();
  client = new OpenAI({ baseURL: `${t.server.url}/v1`, apiKey: "unused", maxRetries: 0 });
});
afterAll(async () => {
  await t.stop();
});

const LABELS = Object.keys(TINY_KEYWORDS);
const ask = (content: string) => ({
  model: "tiny",
  messages: [{ role: "user" as const, content: `Classify.\nText: ${content}` }],
});

describe("the openai SDK against the teacher server", () => {
  it("creates a completion whose content is the label JSON, with x-request-id", async () => {
    const { data, response } = await client.chat.completions
      .create({ ...ask("is it going to rain"), logprobs: true, top_logprobs: 3 })
      .withResponse();
    expect(JSON.parse(data.choices[0]!.message.content!)).toEqual({ label: "weather" });
    expect(data.choices[0]!.logprobs!.content!.map((l) => l.token).join("")).toBe(
      data.choices[0]!.message.content,
    );
    expect(response.headers.get("x-request-id")).toMatch(/^req_[0-9a-f]{32}$/);
  });

  it("streams the same answer as chunks: role, one delta per token with its logprobs, stop, usage", async () => {
    const plain = await client.chat.completions.create({
      ...ask("hello there"),
      logprobs: true,
      top_logprobs: 2,
    });
    const stream = await client.chat.completions.create({
      ...ask("hello there"),
      logprobs: true,
      top_logprobs: 2,
      stream: true,
      stream_options: { include_usage: true },
    });
    const chunks: OpenAI.ChatCompletionChunk[] = [];
    for await (const chunk of stream) chunks.push(chunk);
    expect(chunks.every((c) => c.object === "chat.completion.chunk" && c.id === chunks[0]!.id)).toBe(true);
    const deltas = chunks.flatMap((c) => c.choices);
    expect(deltas[0]!.delta.role).toBe("assistant");
    expect(deltas.map((d) => d.delta.content ?? "").join("")).toBe(plain.choices[0]!.message.content);
    const streamedTokens = deltas.flatMap((d) => d.logprobs?.content ?? []);
    expect(streamedTokens).toEqual(plain.choices[0]!.logprobs!.content);
    expect(deltas.at(-1)!.finish_reason).toBe("stop");
    expect(deltas.slice(0, -1).every((d) => d.finish_reason === null)).toBe(true);
    const last = chunks.at(-1)!;
    expect(last.choices).toEqual([]);
    expect(last.usage).toEqual(plain.usage);
    expect(chunks.slice(0, -1).every((c) => c.usage === null)).toBe(true);
  });

  it("streams without logprobs or usage when not asked, and ends with [DONE]", async () => {
    const res = await fetch(`${t.server.url}/v1/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ ...ask("refund my bill"), stream: true }),
    });
    expect(res.headers.get("content-type")).toMatch(/^text\/event-stream/);
    expect(res.headers.get("x-request-id")).toBeTruthy();
    const events = (await res.text()).split("\n\n").filter((e) => e !== "");
    expect(events.at(-1)).toBe("data: [DONE]");
    const chunks = events.slice(0, -1).map((e) => JSON.parse(e.replace(/^data: /, "")));
    expect(chunks.every((c) => !("usage" in c))).toBe(true);
    expect(chunks.flatMap((c) => c.choices).every((c: { logprobs: unknown }) => c.logprobs === null)).toBe(
      true,
    );
    const content = chunks.flatMap((c) =>
      c.choices.map((d: { delta: { content?: string } }) => d.delta.content ?? ""),
    );
    expect(JSON.parse(content.join(""))).toEqual({ label: "billing" });
  });

  it("gives n equal choices, indexed, in plain and streamed answers", async () => {
    const plain = await client.chat.completions.create({ ...ask("sunny forecast"), n: 3, logprobs: true });
    expect(plain.choices.map((c) => c.index)).toEqual([0, 1, 2]);
    expect(new Set(plain.choices.map((c) => c.message.content)).size).toBe(1);
    const tokens = plain.choices[0]!.logprobs!.content!.length;
    expect(plain.usage!.completion_tokens).toBe(3 * tokens);
    const stream = await client.chat.completions.create({ ...ask("sunny forecast"), n: 3, stream: true });
    const byIndex = new Map<number, string>();
    for await (const chunk of stream)
      for (const c of chunk.choices)
        byIndex.set(c.index, (byIndex.get(c.index) ?? "") + (c.delta.content ?? ""));
    expect([...byIndex.keys()]).toEqual([0, 1, 2]);
    for (const content of byIndex.values()) expect(content).toBe(plain.choices[0]!.message.content);
  });

  it("answers response_format: text with the bare label, json_object with the label JSON", async () => {
    const text = await client.chat.completions.create({
      ...ask("good morning"),
      response_format: { type: "text" },
      logprobs: true,
    });
    expect(text.choices[0]!.message.content).toBe("greeting");
    expect(text.choices[0]!.logprobs!.content!.map((l) => l.token)).toEqual(["greeting"]);
    const json = await client.chat.completions.create({
      ...ask("good morning"),
      response_format: { type: "json_object" },
    });
    expect(JSON.parse(json.choices[0]!.message.content!)).toEqual({ label: "greeting" });
  });

  it(".parse() with a zod response_format gets its one property, from the labels its enum allows", async () => {
    const Category = z.object({ category: z.enum(LABELS as [string, ...string[]]) });
    const parsed = await client.chat.completions.parse({
      ...ask("invoice and refund"),
      response_format: zodResponseFormat(Category, "category"),
      logprobs: true,
      top_logprobs: 3,
    });
    const choice = parsed.choices[0]!;
    expect(choice.message.parsed).toEqual({ category: "billing" });
    const tokens = choice.logprobs!.content!;
    expect(tokens.map((l) => l.token)).toEqual(['{"category":"', "billing", '"}']);
    // Limited to labels the text does not fit: the most probable of those, as a constrained LLM answers.
    const Other = z.object({ category: z.enum(["greeting", "weather", "unknown"]) });
    const other = await client.chat.completions.parse({
      ...ask("invoice and refund"),
      response_format: zodResponseFormat(Other, "category"),
      logprobs: true,
      top_logprobs: 5,
    });
    const answered = other.choices[0]!.message.parsed!.category;
    const label = other.choices[0]!.logprobs!.content![1] as TokenLogprob;
    expect(label.token).toBe(answered);
    expect(label.top_logprobs.map((l) => l.token).sort()).toEqual(["greeting", "weather"]);
    expect(label.top_logprobs[0]!.token).toBe(answered);
    const all = Object.fromEntries(tokens[1]!.top_logprobs.map((l) => [l.token, l.logprob]));
    expect(label.logprob).toBeCloseTo(Math.max(all.greeting!, all.weather!), 9);
  });

  it("refuses what it cannot answer with OpenAI's error, which the SDK raises as BadRequestError", async () => {
    const Two = z.object({ category: z.string(), reason: z.string() });
    const error = await client.chat.completions
      .parse({ ...ask("hi"), response_format: zodResponseFormat(Two, "two") })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OpenAI.BadRequestError);
    const bad = error as InstanceType<typeof OpenAI.BadRequestError>;
    expect(bad.status).toBe(400);
    expect(bad.param).toBe("response_format.json_schema.schema");
    expect(bad.code).toBe("unsupported_schema");
    expect(bad.message).toMatch(/2 properties/);
    expect(bad.requestID).toMatch(/^req_/);
  });
});

describe("x-request-id", () => {
  it("is on every answer of both surfaces, errors included, and echoes a caller's plain id", async () => {
    const answers = [
      await getJson(`${t.server.url}/v1/models`),
      await getJson(`${t.server.url}/v2/health/ready`),
      await postJson(`${t.server.url}/v2/models/tiny/infer`, v2Request(["hi"])),
      await postJson(`${t.server.url}/v2/models/tiny/infer`, "{"),
      await getJson(`${t.server.url}/nowhere`),
      await getJson(`${t.server.url}/v1/chat/completions`),
    ];
    for (const res of answers) expect(res.headers.get("x-request-id")).toMatch(/^req_[0-9a-f]{32}$/);
    const ids = new Set(answers.map((r) => r.headers.get("x-request-id")));
    expect(ids.size).toBe(answers.length);
    const echoed = await getJson(`${t.server.url}/v1/models`, { headers: { "x-request-id": "gw-123.a" } });
    expect(echoed.headers.get("x-request-id")).toBe("gw-123.a");
    const replaced = await getJson(`${t.server.url}/v1/models`, { headers: { "x-request-id": "a b<c>" } });
    expect(replaced.headers.get("x-request-id")).toMatch(/^req_/);
  });
});
