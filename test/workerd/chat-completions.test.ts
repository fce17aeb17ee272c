import {
  applyD1Migrations,
  createExecutionContext,
  type D1Migration,
  waitOnExecutionContext,
} from "cloudflare:test";
import { env as workerEnv } from "cloudflare:workers";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sha256Hex } from "../../src/core/digest.ts";
import { normalizeText } from "../../src/core/featurizer.ts";
import type { ChatCompletionChunk } from "../../src/core/openai-chat.ts";
import { createApp } from "../../src/gateway/app.ts";
import type { Env } from "../../src/gateway/bindings.ts";
import { BUNDLED_MODELS } from "../../src/gateway/models/bundled.ts";
import { ChatCompletionResponse } from "../../src/gateway/schemas/chat.ts";
import { ModelList } from "../../src/gateway/schemas/models.ts";
import { componentValidator } from "../helpers/openapi.ts";
import { expectOpenAiError, kserveTeacher, post } from "./gateway-helpers.ts";
import { fixtureCount, fixtureKey, fixtureUrl, teachers } from "./teacher-helpers.ts";

/**
 * POST /v1/chat/completions inside workerd: the shipped clinc150 student through the cascade, a real
 * OpenAI-chat teacher over HTTP (the fixture server in front of the local teacher server, which counts
 * the calls and keeps the bodies it received), and the hard-example log through miniflare's queue to R2
 * and D1.
 */
const bindings = workerEnv as unknown as Env & { TEST_MIGRATIONS: D1Migration[] };
const db = bindings.DB!;
const CLINC_LABELS = (BUNDLED_MODELS.clinc150!.manifest as { labels: string[] }).labels;
// clinc150 routes on margin < 0.265 (gateway-classify.test.ts measured these on the shipped student).
const SURE = "what is my credit score";
const UNSURE = "asdf qwer";

// The default teacher port (the cascade's) is KServe V2; the chat route forwards by TEACHER_PROTOCOL.
const app = createApp({ teacher: () => kserveTeacher(teachers().healthy) });

/** An env whose teacher is the fixture server under a fresh key, over OpenAI chat completions. */
function openaiEnv(mode = "ok", extra: Record<string, string> = {}) {
  const key = fixtureKey(mode);
  const env: Env = {
    ...bindings,
    TEACHER_URL: fixtureUrl(key),
    TEACHER_PROTOCOL: "openai",
    BREAKER_FAILURES: "1000",
    TEACHER_RETRIES: "0",
    ...extra,
  };
  return { key, env };
}

async function chat(body: unknown, env: Env, headers: Record<string, string> = {}) {
  const ctx = createExecutionContext();
  const res = await app.request("/v1/chat/completions", post(body, headers), env, ctx);
  const text = await res.text();
  await waitOnExecutionContext(ctx);
  return { res, text };
}

async function bodiesAt(key: string): Promise<string[]> {
  return ((await (await fetch(`${teachers().fixture}/bodies/${key}`)).json()) as { bodies: string[] }).bodies;
}

const user = (content: unknown) => [{ role: "user", content }];

/** The events of a server-sent stream: every `data:` payload, `[DONE]` included. */
const events = (text: string) =>
  text
    .split("\n\n")
    .filter((e) => e.startsWith("data: "))
    .map((e) => e.slice("data: ".length));

async function loggedRecord(id: string) {
  let row: Record<string, unknown> | null = null;
  for (let i = 0; i < 80 && !row; i++) {
    row = await db.prepare("SELECT * FROM hard_examples WHERE id = ?").bind(id).first();
    if (!row) await new Promise((r) => setTimeout(r, 250));
  }
  expect(row, `record ${id} indexed`).not.toBeNull();
  return row!;
}

const idOf = async (text: string) => {
  const { featurizer } = BUNDLED_MODELS.clinc150!.manifest as {
    featurizer: { normalization: "NFKC"; lowercase: boolean };
  };
  return sha256Hex(`clinc150\n${normalizeText(text, featurizer)}`);
};

beforeAll(async () => {
  await applyD1Migrations(db, bindings.TEST_MIGRATIONS);
});

describe("POST /v1/chat/completions, confident student", () => {
  it("answers with the label as the content, never calling the teacher", async () => {
    const { key, env } = openaiEnv();
    const { res, text } = await chat({ model: "clinc150", messages: user(SURE) }, env);
    expect(res.status, text).toBe(200);
    expect(res.headers.get("x-apprentice-source")).toBe("student");
    expect(res.headers.get("x-apprentice-version")).toBe("1.0.0");
    const completion = ChatCompletionResponse.parse(JSON.parse(text));
    expect(completion.id).toBe(`chatcmpl-${res.headers.get("x-request-id")}`);
    expect(completion.choices[0]!.message.content).toBe("credit_score");
    expect(completion.choices[0]!.logprobs).toBeNull();
    expect(completion.usage.total_tokens).toBe(completion.usage.prompt_tokens + 1);
    expect(await fixtureCount(key)).toBe(0);
  });

  it("names the model as apprentice/<name> too, and reads the last user message", async () => {
    const { env } = openaiEnv();
    const messages = [
      { role: "system", content: "Classify the intent." },
      { role: "user", content: "book a flight in paris" },
      { role: "assistant", content: "travel" },
      { role: "user", content: [{ type: "text", text: SURE }] },
    ];
    const { res, text } = await chat({ model: "apprentice/clinc150", messages }, env);
    expect(res.status, text).toBe(200);
    expect(ChatCompletionResponse.parse(JSON.parse(text)).choices[0]!.message.content).toBe("credit_score");
  });

  it("answers a json_schema response_format with its one property, and logprobs from calibrated probabilities", async () => {
    const { env } = openaiEnv();
    const response_format = {
      type: "json_schema",
      json_schema: {
        name: "intent",
        strict: true,
        schema: {
          type: "object",
          properties: { intent: { type: "string", enum: CLINC_LABELS } },
          required: ["intent"],
          additionalProperties: false,
        },
      },
    };
    const body = {
      model: "clinc150",
      messages: user(SURE),
      response_format,
      logprobs: true,
      top_logprobs: 3,
    };
    const { res, text } = await chat(body, env);
    expect(res.status, text).toBe(200);
    const choice = ChatCompletionResponse.parse(JSON.parse(text)).choices[0]!;
    expect(JSON.parse(choice.message.content)).toEqual({ intent: "credit_score" });
    const tokens = choice.logprobs!.content;
    // The label's token carries log p; the JSON around it is certain.
    expect(tokens.map((t) => t.token).join("")).toBe(choice.message.content);
    const label = tokens.find((t) => t.token === "credit_score")!;
    expect(Math.exp(label.logprob)).toBeGreaterThan(0.5);
    expect(label.top_logprobs).toHaveLength(3);
    expect(label.top_logprobs[0]!.token).toBe("credit_score");
    expect(label.top_logprobs[1]!.logprob).toBeLessThanOrEqual(label.top_logprobs[0]!.logprob);
  });

  it("streams the student's answer as chat.completion.chunk events, then [DONE]", async () => {
    const { key, env } = openaiEnv();
    const body = {
      model: "clinc150",
      messages: user(SURE),
      stream: true,
      stream_options: { include_usage: true },
    };
    const { res, text } = await chat(body, env);
    expect(res.status, text).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^text\/event-stream/);
    const data = events(text);
    expect(data.at(-1)).toBe("[DONE]");
    const chunks = data.slice(0, -1).map((d) => JSON.parse(d) as ChatCompletionChunk);
    expect(chunks.every((c) => c.object === "chat.completion.chunk")).toBe(true);
    expect(chunks[0]!.choices[0]!.delta.role).toBe("assistant");
    const content = chunks.flatMap((c) => c.choices.map((ch) => ch.delta.content ?? "")).join("");
    expect(content).toBe("credit_score");
    expect(chunks.some((c) => c.choices[0]?.finish_reason === "stop")).toBe(true);
    expect(chunks.at(-1)!.usage).toMatchObject({ completion_tokens: 1 });
    expect(await fixtureCount(key)).toBe(0);
  });
});

describe("POST /v1/chat/completions, unsure student", () => {
  it("sends the client's request to the OpenAI teacher byte for byte and returns its answer as sent; the label is logged", async () => {
    const { key, env } = openaiEnv();
    const text = `${UNSURE} ${crypto.randomUUID().slice(0, 6)}`;
    // Spacing and key order of the client's own, which re-serialising would lose.
    const raw = `{"model":"clinc150",  "temperature": 0, "messages":[{"role":"user","content":${JSON.stringify(text)}}], "seed": 7}`;
    const ctx = createExecutionContext();
    const res = await app.request("/v1/chat/completions", post(raw), env, ctx);
    const answer = await res.text();
    await waitOnExecutionContext(ctx);
    expect(res.status, answer).toBe(200);
    expect(res.headers.get("x-apprentice-source")).toBe("teacher");
    expect(await bodiesAt(key)).toEqual([raw]);
    // The local teacher's own answer: its `{"label": …}` content and its fingerprint, untouched.
    const completion = JSON.parse(answer) as {
      system_fingerprint: string;
      choices: { message: { content: string } }[];
    };
    expect(completion.system_fingerprint).toMatch(/^clinc150@/);
    const label = (JSON.parse(completion.choices[0]!.message.content) as { label: string }).label;
    expect(CLINC_LABELS).toContain(label);

    const row = await loggedRecord(await idOf(text));
    expect(row).toMatchObject({ model: "clinc150", route: "teacher", teacher_label: label });
  }, 60_000);

  it("renames only the model for the teacher when the client named apprentice/<name>", async () => {
    const { key, env } = openaiEnv();
    const body = { model: "apprentice/clinc150", messages: user(UNSURE), temperature: 0 };
    const { res } = await chat(body, env);
    expect(res.status).toBe(200);
    const [sent] = await bodiesAt(key);
    expect(JSON.parse(sent!)).toEqual({ ...body, model: "clinc150" });
  });

  it("streams the teacher's events through as it sent them, and logs the label read from them", async () => {
    const { key, env } = openaiEnv();
    const text = `${UNSURE} ${crypto.randomUUID().slice(0, 6)}`;
    const body = { model: "clinc150", messages: user(text), stream: true };
    const { res, text: streamed } = await chat(body, env);
    expect(res.status).toBe(200);
    expect(res.headers.get("x-apprentice-source")).toBe("teacher");
    expect(res.headers.get("content-type")).toMatch(/^text\/event-stream/);
    const data = events(streamed);
    expect(data.at(-1)).toBe("[DONE]");
    const content = data
      .slice(0, -1)
      .map((d) => JSON.parse(d) as ChatCompletionChunk)
      .flatMap((c) => c.choices.map((ch) => ch.delta.content ?? ""))
      .join("");
    const label = (JSON.parse(content) as { label: string }).label;
    expect(await fixtureCount(key)).toBe(1);
    const row = await loggedRecord(await idOf(text));
    expect(row).toMatchObject({ route: "teacher", teacher_label: label });
  }, 60_000);

  it("answers from the student, flagged, when the teacher fails (503)", async () => {
    const { key, env } = openaiEnv("503");
    const { res, text } = await chat({ model: "clinc150", messages: user(UNSURE) }, env);
    expect(res.status, text).toBe(200);
    expect(res.headers.get("x-apprentice-source")).toBe("student");
    expect(res.headers.get("x-apprentice-degraded")).toBe("http_5xx");
    expect(CLINC_LABELS).toContain(
      ChatCompletionResponse.parse(JSON.parse(text)).choices[0]!.message.content,
    );
    expect(await fixtureCount(key)).toBe(1);
  });

  it("keeps the model's teacher budget: a spent one is the student's answer, flagged, and no call", async () => {
    const { key, env } = openaiEnv("ok", { TEACHER_BUDGET_PER_HOUR: "0" });
    const { res, text } = await chat({ model: "clinc150", messages: user(UNSURE) }, env);
    expect(res.status, text).toBe(200);
    expect(res.headers.get("x-apprentice-degraded")).toBe("budget");
    expect(await fixtureCount(key)).toBe(0);
  });

  it("passes a teacher's 4xx on as it sent it", async () => {
    const { env } = openaiEnv("400");
    const { res, text } = await chat({ model: "clinc150", messages: user(UNSURE) }, env);
    expect(res.status).toBe(400);
    expect(res.headers.get("x-apprentice-source")).toBe("teacher");
    expect(JSON.parse(text)).toHaveProperty("error");
  });

  it("with a teacher of another protocol, asks it through the cascade and answers with its label", async () => {
    const { res, text } = await chat({ model: "clinc150", messages: user(UNSURE) }, { ...bindings });
    expect(res.status, text).toBe(200);
    expect(res.headers.get("x-apprentice-source")).toBe("teacher");
    expect(CLINC_LABELS).toContain(
      ChatCompletionResponse.parse(JSON.parse(text)).choices[0]!.message.content,
    );
  });
});

describe("POST /v1/chat/completions, what the gateway cannot honour: OpenAI's error shape", () => {
  const { env } = openaiEnv();
  const base = { model: "clinc150", messages: user(SURE) };
  const send = (body: unknown) => app.request("/v1/chat/completions", post(body), env);

  it.each([
    ["n", { ...base, n: 2 }],
    ["tools", { ...base, tools: [{ type: "function", function: { name: "f" } }] }],
    ["tool_choice", { ...base, tool_choice: "required" }],
    ["audio", { ...base, audio: { voice: "alloy", format: "wav" } }],
    ["modalities", { ...base, modalities: ["text", "audio"] }],
    [
      "messages.0.content",
      { ...base, messages: user([{ type: "image_url", image_url: { url: "https://example.com/a.png" } }]) },
    ],
  ])("400 unsupported_parameter naming %s", async (param, body) => {
    const error = await expectOpenAiError(await send(body), 400, "unsupported_parameter");
    expect(error).toMatchObject({ type: "invalid_request_error", param });
  });

  it("400 for a json_schema whose enum lacks labels of the model, naming them", async () => {
    const schema = {
      type: "object",
      properties: { intent: { type: "string", enum: ["credit_score", "alarm"] } },
    };
    const res = await send({
      ...base,
      response_format: { type: "json_schema", json_schema: { name: "x", schema } },
    });
    const error = await expectOpenAiError(res, 400, "invalid_request");
    expect(error.param).toBe("response_format.json_schema.schema");
    expect(error.message).toMatch(/lacks labels of the model: "accept_reservations", .* and 144 more$/);
  });

  it("400 for a schema of two properties, 404 model_not_found for an unknown model", async () => {
    const schema = { type: "object", properties: { a: { type: "string" }, b: { type: "string" } } };
    await expectOpenAiError(
      await send({ ...base, response_format: { type: "json_schema", json_schema: { name: "x", schema } } }),
      400,
      "unsupported_parameter",
    );
    const error = await expectOpenAiError(await send({ ...base, model: "gpt-4o" }), 404, "model_not_found");
    expect(error.param).toBe("model");
  });

  it("400 for no user message, bad JSON and a bad field; the message says which", async () => {
    const none = await expectOpenAiError(
      await send({ ...base, messages: [{ role: "system", content: "x" }] }),
      400,
    );
    expect(none.param).toBe("messages");
    await expectOpenAiError(await app.request("/v1/chat/completions", post("{"), env), 400, "invalid_json");
    const bad = await expectOpenAiError(await send({ ...base, top_logprobs: 3 }), 400, "invalid_request");
    expect(bad.param).toBe("top_logprobs");
  });
});

describe("/openapi.json", () => {
  it("describes the route, and its schemas accept what the gateway answers and refuse what it refuses", async () => {
    const { env } = openaiEnv();
    const doc = (await (await app.request("/openapi.json", {}, env)).json()) as {
      paths: Record<string, Record<string, { operationId: string }>>;
    };
    expect(doc.paths["/v1/chat/completions"]!.post!.operationId).toBe("createChatCompletion");
    const validator = (id: string) => componentValidator(doc, id);
    const request = { model: "clinc150", messages: user(SURE), logprobs: true, top_logprobs: 2 };
    expect(validator("ChatCompletionRequest").validate(request).valid).toBe(true);
    expect(validator("ChatCompletionRequest").validate({ model: "clinc150", messages: [] }).valid).toBe(
      false,
    );
    const { text } = await chat(request, env);
    expect(validator("ChatCompletion").validate(JSON.parse(text)).valid).toBe(true);
    const refused = await app.request("/v1/chat/completions", post({ ...request, n: 3 }), env);
    expect(validator("OpenAIError").validate(await refused.json()).valid).toBe(true);
  });
});

describe("GET /v1/models", () => {
  it("lists the models in OpenAI's shape too", async () => {
    const list = ModelList.parse(await (await app.request("/v1/models", {}, { ...bindings })).json());
    expect(list.object).toBe("list");
    expect(list.data.map((m) => m.id)).toEqual(list.models.map((m) => m.name));
    expect(list.data[0]).toMatchObject({ object: "model", owned_by: "apprentice" });
  });
});

describe("POST /v1/chat/completions, a model defined with a chat rule and no student yet", () => {
  const TOKEN = "test-admin-token-0123456789abcdef-xyz";
  const kv = bindings.REGISTRY!;
  const NAMES = ["chat-intents", "chat-down"];
  const envOf = (extra: Record<string, string> = {}): Env => ({
    ...bindings,
    ADMIN_TOKEN: TOKEN,
    REGISTRY_TTL_MS: "0",
    BREAKER_FAILURES: "1000",
    TEACHER_RETRIES: "0",
    ...extra,
  });
  const define = async (name: string, key: string) => {
    const body = {
      labels: CLINC_LABELS,
      teacher: { protocol: "openai", url: fixtureUrl(key), model: "clinc150" },
      chat: { text: { after: "Text:" }, alias: `${name}-llm` },
    };
    const res = await app.request(
      `/admin/models/${name}`,
      { ...post(body, { authorization: `Bearer ${TOKEN}` }), method: "PUT" },
      envOf(),
    );
    expect([200, 201], await res.text()).toContain(res.status);
  };
  const prompt = (text: string) =>
    user(`Classify the text into one intent; answer with the intent only.\nText: ${text}`);

  afterAll(async () => {
    for (const name of NAMES) await kv.delete(`definition/${name}`);
  });

  it("reads the text after the marker, takes the alias as the model, and sends the teacher its own model id", async () => {
    const key = fixtureKey("ok");
    await define("chat-intents", key);
    const text = `what is my credit score ${crypto.randomUUID().slice(0, 6)}`;
    const body = { model: "chat-intents-llm", messages: prompt(text) };
    const { res, text: answer } = await chat(body, envOf());
    expect(res.status, answer).toBe(200);
    expect(res.headers.get("x-apprentice-source")).toBe("teacher");
    expect(res.headers.get("x-apprentice-version")).toBe("none");
    expect((await bodiesAt(key)).map((b) => JSON.parse(b))).toEqual([{ ...body, model: "clinc150" }]);
    // The record holds the text the rule read, not the prompt, and the teacher's label.
    const id = await sha256Hex(
      `chat-intents\n${normalizeText(text, { normalization: "NFKC", lowercase: true })}`,
    );
    expect(await loggedRecord(id)).toMatchObject({
      model: "chat-intents",
      version: "none",
      route: "teacher",
      teacher_label: "credit_score",
      student_label: null,
    });
  }, 60_000);

  it("redacts every message for the teacher under REDACTION log+teacher", async () => {
    const key = fixtureKey("ok");
    await define("chat-intents", key);
    const env = envOf({ REDACTION: JSON.stringify({ "chat-intents": "log+teacher" }) });
    const { res } = await chat(
      { model: "chat-intents", messages: prompt("mail jane.doe@example.com my balance") },
      env,
    );
    expect(res.status).toBe(200);
    const [sent] = await bodiesAt(key);
    expect(sent).not.toContain("jane.doe@example.com");
    expect(sent).toContain("my balance");
  });

  it("400 naming the message when the marker is missing; 503 teacher_unavailable when its teacher fails", async () => {
    await define("chat-down", fixtureKey("503"));
    const none = await app.request(
      "/v1/chat/completions",
      post({ model: "chat-down", messages: user("no marker here") }),
      envOf(),
    );
    expect((await expectOpenAiError(none, 400, "invalid_request")).param).toBe("messages.0.content");
    const down = await app.request(
      "/v1/chat/completions",
      post({ model: "chat-down", messages: prompt("what is my credit score") }),
      envOf(),
    );
    expect(down.headers.get("retry-after")).toBeTruthy();
    expect(await expectOpenAiError(down, 503, "teacher_unavailable")).toMatchObject({ type: "server_error" });
  });
});
