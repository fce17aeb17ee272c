import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import OpenAI from "openai";
import { zodResponseFormat } from "openai/helpers/zod";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { BUNDLED_MODELS } from "../../src/gateway/models/bundled.ts";
import type { Stack } from "../../src/stack.ts";
import { type FreshStack, startFreshStack } from "../helpers/fresh-stack.ts";

/**
 * The official `openai` SDK pointed at the gateway under real `wrangler dev`, with client API keys on and
 * the local teacher server in its OpenAI mode as the model's teacher. Between the gateway and the
 * teacher a recording proxy (a real HTTP server) keeps every body the teacher was sent, so the tests can
 * count teacher calls and compare what the teacher received with what the SDK sent.
 */
const LABELS = (BUNDLED_MODELS.clinc150!.manifest as { labels: string[] }).labels as [string, ...string[]];
// CLINC150 texts the shipped student is sure of (margin > 0.99), and ones it is not (margin < 0.01).
const SURE: [string, string][] = [
  ["what is my credit score", "credit_score"],
  ["set an alarm for 7am", "alarm"],
  ["book a flight in paris", "book_flight"],
];
const UNSURE = ["asdf qwer", "hmm"];

/** What a classification app already sends: its prompt, and an answer constrained to the labels. */
const SYSTEM = `Classify the user's request into one intent of: ${LABELS.join(", ")}.`;
const Intent = z.object({ intent: z.enum(LABELS) });

interface RecordingProxy {
  url: string;
  bodies: string[];
  upstream: string;
  close(): Promise<void>;
}

async function recordingProxy(): Promise<RecordingProxy> {
  const proxy: RecordingProxy = { url: "", bodies: [], upstream: "", close: async () => {} };
  const server: Server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks).toString("utf8");
    if (req.method === "POST") proxy.bodies.push(body);
    const upstream = await fetch(`${proxy.upstream}${req.url}`, {
      method: req.method ?? "GET",
      headers: { "content-type": "application/json" },
      ...(req.method === "POST" ? { body } : {}),
    });
    res.writeHead(upstream.status, {
      "content-type": upstream.headers.get("content-type") ?? "application/json",
    });
    // As it comes: a streamed answer stays a stream.
    for await (const chunk of upstream.body ?? []) res.write(chunk);
    res.end();
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  proxy.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  proxy.close = () => new Promise((resolve) => server.close(() => resolve()));
  return proxy;
}

describe("end to end: the openai SDK against the gateway, the local teacher in OpenAI mode", () => {
  let fresh: FreshStack;
  let stack: Stack;
  let proxy: RecordingProxy;
  let client: OpenAI;
  /** The request bodies the SDK sent, as it sent them. */
  const sent: string[] = [];

  beforeAll(async () => {
    proxy = await recordingProxy();
    fresh = await startFreshStack("e2e-openai", {
      // No audit sample: an audited confident answer goes to the teacher after the response (2% by
      // default), which would make "confident answers never reach the teacher" fail by chance.
      vars: { TEACHER_URL: proxy.url, TEACHER_PROTOCOL: "openai", CLIENT_AUTH: "api-key", AUDIT_RATE: "0" },
    });
    stack = fresh.stack;
    proxy.upstream = stack.teacher.url;
    const made = await fetch(`${stack.gatewayUrl}/admin/keys`, {
      method: "POST",
      headers: { authorization: `Bearer ${stack.adminToken}`, "content-type": "application/json" },
      body: JSON.stringify({ name: "openai sdk" }),
    });
    const { key } = (await made.json()) as { key: string };
    // The two lines a user changes: the base URL and the model (and the key is the gateway's).
    client = new OpenAI({
      baseURL: `${stack.gatewayUrl}/v1`,
      apiKey: key,
      maxRetries: 0,
      fetch: async (url, init) => {
        if (typeof init?.body === "string") sent.push(init.body);
        return fetch(url, init);
      },
    });
  }, 120_000);
  afterAll(async () => {
    await fresh?.stop();
    await proxy?.close();
  });

  const messages = (text: string) => [
    { role: "system" as const, content: SYSTEM },
    { role: "user" as const, content: text },
  ];

  it("create(): confident answers are the student's label, and never reach the teacher", async () => {
    const before = proxy.bodies.length;
    for (const [text, label] of SURE) {
      const { data, response } = await client.chat.completions
        .create({ model: "clinc150", messages: messages(text), temperature: 0 })
        .withResponse();
      expect(data.choices[0]!.message.content).toBe(label);
      expect(response.headers.get("x-apprentice-source")).toBe("student");
      expect(data.usage!.completion_tokens).toBe(1);
    }
    expect(proxy.bodies.length).toBe(before);
  });

  it("parse() with a zod schema: confident answers parse into the client's type", async () => {
    const before = proxy.bodies.length;
    for (const [text, label] of SURE) {
      const completion = await client.chat.completions.parse({
        model: "clinc150",
        messages: messages(text),
        response_format: zodResponseFormat(Intent, "intent"),
      });
      expect(completion.choices[0]!.message.parsed).toEqual({ intent: label });
    }
    expect(proxy.bodies.length).toBe(before);
  });

  it("unsure answers reach the teacher byte for byte, and come back as the teacher sent them", async () => {
    for (const text of UNSURE) {
      const before = proxy.bodies.length;
      const completion = await client.chat.completions.parse({
        model: "clinc150",
        messages: messages(text),
        response_format: zodResponseFormat(Intent, "intent"),
        temperature: 0,
      });
      expect(proxy.bodies.length).toBe(before + 1);
      expect(proxy.bodies.at(-1)).toBe(sent.at(-1));
      // The local teacher's own completion: its fingerprint, and an answer in the client's schema.
      expect(completion.system_fingerprint).toMatch(/^clinc150@/);
      expect(LABELS).toContain(completion.choices[0]!.message.parsed!.intent);
    }
  });

  it("streams: the student's chunks for a confident text, the teacher's passed through for an unsure one", async () => {
    const read = async (text: string) => {
      const stream = await client.chat.completions.create({
        model: "clinc150",
        messages: messages(text),
        stream: true,
        stream_options: { include_usage: true },
      });
      let content = "";
      let usage: OpenAI.CompletionUsage | null | undefined;
      for await (const chunk of stream) {
        content += chunk.choices[0]?.delta.content ?? "";
        usage = chunk.usage ?? usage;
      }
      return { content, usage };
    };
    const before = proxy.bodies.length;
    const sure = await read(SURE[0]![0]);
    expect(sure.content).toBe(SURE[0]![1]);
    expect(sure.usage).toMatchObject({ completion_tokens: 1 });
    expect(proxy.bodies.length).toBe(before);

    const unsure = await read(UNSURE[0]!);
    expect(proxy.bodies.length).toBe(before + 1);
    expect(proxy.bodies.at(-1)).toBe(sent.at(-1));
    // The local teacher answers `{"label": …}` when no response_format is given.
    expect(LABELS).toContain((JSON.parse(unsure.content) as { label: string }).label);
  });

  it("logprobs: the student's calibrated probability of its label, and the runners-up", async () => {
    const completion = await client.chat.completions.create({
      model: "clinc150",
      messages: messages(SURE[0]![0]),
      logprobs: true,
      top_logprobs: 5,
    });
    const [token] = completion.choices[0]!.logprobs!.content!;
    expect(token!.token).toBe("credit_score");
    expect(Math.exp(token!.logprob)).toBeGreaterThan(0.5);
    expect(token!.top_logprobs.map((t) => t.token)[0]).toBe("credit_score");
    expect(token!.top_logprobs).toHaveLength(5);
  });

  it("what it cannot honour is the SDK's usual error, and the models list", async () => {
    const error = await client.chat.completions
      .create({ model: "clinc150", messages: messages(SURE[0]![0]), n: 2 })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OpenAI.BadRequestError);
    expect(error).toMatchObject({ status: 400, code: "unsupported_parameter", param: "n" });
    const missing = await client.chat.completions
      .create({ model: "gpt-4o", messages: messages("hi") })
      .catch((e: unknown) => e);
    expect(missing).toBeInstanceOf(OpenAI.NotFoundError);
    const unauthorised = await new OpenAI({
      baseURL: `${stack.gatewayUrl}/v1`,
      apiKey: "nope",
      maxRetries: 0,
    }).chat.completions
      .create({ model: "clinc150", messages: messages("hi") })
      .catch((e: unknown) => e);
    expect(unauthorised).toBeInstanceOf(OpenAI.PermissionDeniedError);

    const ids = [];
    for await (const model of client.models.list()) ids.push(model.id);
    expect(ids).toEqual(expect.arrayContaining(["clinc150", "sms-spam"]));
  });
});
