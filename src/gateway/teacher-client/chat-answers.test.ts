import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { describe, expect, it } from "vitest";
import { labelMessages, labelSchema } from "./label-prompt.ts";
import { openaiAdapter, readCompletion } from "./openai.ts";
import type { TeacherError } from "./types.ts";
import { workersAiAdapter } from "./workers-ai.ts";

/**
 * What the chat teachers' answers become: an OpenAI-compatible completion (readCompletion) and a Workers
 * AI answer, each refusal exact. The requests themselves go to real servers in
 * test/workerd/teacher-adapters.test.ts (run in both runtimes).
 */
const LABELS = ["ham", "spam"];
const completion = (message: { content: string | null; refusal?: string | null }, logprobs?: unknown) => ({
  choices: [{ index: 0, message: { role: "assistant", ...message }, ...(logprobs ? { logprobs } : {}) }],
});
function refusal(run: () => unknown): TeacherError {
  try {
    run();
  } catch (error) {
    return error as TeacherError;
  }
  throw new Error("expected a refusal");
}

describe("readCompletion", () => {
  it("a JSON label without logprobs is a one-hot answer", () => {
    expect(readCompletion(completion({ content: '{"label": "spam"}' }), LABELS, "w")).toEqual({
      label: "spam",
      confidence: 1,
      probs: null,
    });
  });

  it("no content is a bad_response, quoting the model's refusal when it gave one", () => {
    expect(
      refusal(() => readCompletion(completion({ content: null, refusal: "I can't" }), LABELS, "w")),
    ).toMatchObject({
      kind: "bad_response",
      message: "w: no content (refusal: I can't)",
    });
    expect(refusal(() => readCompletion(completion({ content: null }), LABELS, "w")).message).toBe(
      "w: no content",
    );
  });

  it("content that is not JSON, or JSON without a label, is a bad_response", () => {
    expect(refusal(() => readCompletion(completion({ content: "spam" }), LABELS, "w"))).toMatchObject({
      kind: "bad_response",
      message: "w: content is not JSON: spam",
    });
    expect(refusal(() => readCompletion(completion({ content: "s".repeat(300) }), LABELS, "w")).message).toBe(
      `w: content is not JSON: ${"s".repeat(200)}`,
    );
    expect(
      refusal(() => readCompletion(completion({ content: '{"class": "spam"}' }), LABELS, "w")).message,
    ).toMatch(/^w content: unexpected answer \(label: /);
    expect(
      refusal(() => readCompletion(completion({ content: '{"label": "eggs"}' }), LABELS, "w")),
    ).toMatchObject({
      kind: "unknown_label",
    });
  });
});

describe("workersAiAdapter", () => {
  const query = { model: "@cf/some/model", labels: LABELS, texts: ["a"] };
  const ask = (run: () => Promise<unknown>, signal = new AbortController().signal) =>
    workersAiAdapter({ run })
      .classify(query, signal)
      .catch((error: TeacherError) => error);

  it("reads the label from a JSON object or a JSON string", async () => {
    expect(workersAiAdapter({ run: async () => ({}) }).protocol).toBe("workers-ai");
    for (const response of [{ label: "spam" }, '{"label": "spam"}'])
      expect(await ask(async () => ({ response }))).toEqual([{ label: "spam", confidence: 1, probs: null }]);
  });

  it("refuses a response that is not JSON, or has no label, naming the model", async () => {
    expect(await ask(async () => ({ response: "spam, I think" }))).toMatchObject({
      kind: "bad_response",
      message: "Workers AI @cf/some/model: response is not JSON: spam, I think",
    });
    expect(((await ask(async () => ({ response: "s".repeat(300) }))) as TeacherError).message).toBe(
      `Workers AI @cf/some/model: response is not JSON: ${"s".repeat(200)}`,
    );
    expect(((await ask(async () => ({ response: {} }))) as TeacherError).message).toMatch(
      /^Workers AI @cf\/some\/model response: unexpected answer \(label: /,
    );
  });

  it("the binding gets the call's signal, so the deadline can cancel it", async () => {
    const handed: unknown[] = [];
    const run = async (_model: string, _inputs: unknown, options?: { signal?: AbortSignal }) => {
      handed.push(options?.signal);
      return { response: { label: "ham" } };
    };
    await workersAiAdapter({ run }).classify(query, new AbortController().signal);
    expect(handed).toHaveLength(1);
    expect(handed[0]).toBeInstanceOf(AbortSignal);
  });

  it("a failing binding is a network failure with its message; after the deadline, a timeout", async () => {
    expect(await ask(() => Promise.reject(new Error("upstream 502")))).toMatchObject({
      kind: "network",
      message: "Workers AI @cf/some/model: upstream 502",
    });
    expect(await ask(() => Promise.reject("plain"))).toMatchObject({
      message: "Workers AI @cf/some/model: plain",
    });
    const deadline = new AbortController();
    deadline.abort();
    expect(await ask(() => Promise.reject(new Error("aborted")), deadline.signal)).toMatchObject({
      kind: "timeout",
      message: "Workers AI @cf/some/model: aborted at the deadline",
    });
  });
});

describe("openaiAdapter's request", () => {
  it("asks for the label under a strict JSON schema, at temperature 0, with five alternatives", async () => {
    const bodies: unknown[] = [];
    const server = createServer((req, res) => {
      let body = "";
      req.on("data", (chunk) => {
        body += chunk;
      });
      req.on("end", () => {
        bodies.push(JSON.parse(body));
        res.writeHead(200, { "content-type": "application/json" });
        res.end(JSON.stringify(completion({ content: '{"label":"ham"}' })));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    try {
      const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      const query = { model: "gpt-x", labels: LABELS, texts: ["hello"] };
      const answers = await openaiAdapter(base, { maxBodyBytes: 1 << 20 }).classify(
        query,
        new AbortController().signal,
      );
      expect(answers).toEqual([{ label: "ham", confidence: 1, probs: null }]);
      expect(bodies).toEqual([
        {
          model: "gpt-x",
          messages: [...labelMessages(LABELS, "hello")],
          temperature: 0,
          logprobs: true,
          top_logprobs: 5,
          response_format: {
            type: "json_schema",
            json_schema: { name: "label", strict: true, schema: labelSchema(LABELS) },
          },
        },
      ]);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
