import { createServer, type IncomingHttpHeaders } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { fixtureKey, fixtureUrl, teacherConfig, teachers } from "../../../test/workerd/teacher-helpers.ts";
import { createAdapter } from "./adapters.ts";
import { allOrAbort, checkLabel, fetchJson, parseAnswer } from "./http.ts";
import { readHttpJson } from "./http-json.ts";
import { TeacherError } from "./types.ts";

/**
 * The HTTP side every adapter shares, against the real fixture teacher of test/workerd/global-setup.ts:
 * each way a call can fail becomes a TeacherError of the kind the retry and the breaker decide on, with a
 * message that says which request and why.
 */
const LABELS = ["ham", "spam"];
const NO_LIMIT = 1024 * 1024;

async function failure(run: () => Promise<unknown>): Promise<TeacherError> {
  const error = await run().then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(TeacherError);
  return error as TeacherError;
}
const post = (url: string, signal = new AbortController().signal, maxBodyBytes = NO_LIMIT) =>
  fetchJson(url, { body: { text: "hello" }, signal, maxBodyBytes });

describe("fetchJson", () => {
  it("a 5xx is http_5xx and a 4xx http_4xx, with the status and the start of the answer", async () => {
    const url = fixtureUrl(fixtureKey("503"), "/sms-spam");
    expect(await failure(() => post(url))).toMatchObject({
      kind: "http_5xx",
      status: 503,
      message: `POST ${url}: HTTP 503 {"error":"fixture mode 503"}`,
    });
    const bad = fixtureUrl(fixtureKey("400"), "/sms-spam");
    expect(await failure(() => post(bad))).toMatchObject({ kind: "http_4xx", status: 400 });
    const server = fixtureUrl(fixtureKey("500"), "/sms-spam");
    expect(await failure(() => post(server))).toMatchObject({ kind: "http_5xx", status: 500 });
  });

  it("a refused connection is a network failure naming the request", async () => {
    const url = `${teachers().refused}/sms-spam`;
    const error = await failure(() => post(url));
    expect(error.kind).toBe("network");
    expect(error.message.startsWith(`POST ${url}: `)).toBe(true);
  });

  it("an aborted call is a timeout, before the headers or while reading the body", async () => {
    const url = fixtureUrl(fixtureKey("stall"), "/sms-spam");
    expect(await failure(() => post(url, AbortSignal.timeout(100)))).toMatchObject({
      kind: "timeout",
      message: `POST ${url}: aborted at the deadline`,
    });
    const trickle = fixtureUrl(fixtureKey("trickle"), "/sms-spam");
    expect(await failure(() => post(trickle, AbortSignal.timeout(200)))).toMatchObject({
      kind: "timeout",
      message: `POST ${trickle} (reading the body): aborted at the deadline`,
    });
  });

  it("a body cut half-way is a network failure while reading it", async () => {
    const url = fixtureUrl(fixtureKey("truncated"), "/sms-spam");
    const error = await failure(() => post(url));
    expect(error.kind).toBe("network");
    expect(error.message.startsWith(`POST ${url} (reading the body): `)).toBe(true);
  });

  it("a body over the cap is a bad_response; one declared over it is refused unread", async () => {
    const declared = fixtureUrl(fixtureKey("huge-declared"), "/sms-spam");
    expect(await failure(() => post(declared, undefined, 1000))).toMatchObject({
      kind: "bad_response",
      message: `POST ${declared}: the answer is larger than 1000 bytes`,
    });
    // A declared size equal to the cap is read: the fixture's answer fits a cap of its own size.
    const ok = fixtureUrl(fixtureKey("ok"), "/sms-spam");
    const answer = JSON.stringify(await post(ok));
    expect(await post(ok, undefined, answer.length)).toEqual(JSON.parse(answer));
    expect(await failure(() => post(ok, undefined, answer.length - 1))).toMatchObject({
      kind: "bad_response",
      message: `POST ${ok}: the answer is larger than ${answer.length - 1} bytes`,
    });
  });

  it("a body that is not JSON is a bad_response quoting it", async () => {
    const url = fixtureUrl(fixtureKey("malformed"), "/sms-spam");
    expect(await failure(() => post(url))).toMatchObject({
      kind: "bad_response",
      message: `POST ${url}: body is not JSON: {"label": "ham", "probs": [0.9`,
    });
  });
});

describe("answers", () => {
  it("parseAnswer names up to three issues by path, (root) for the whole value", () => {
    const schema = z.object({ a: z.string(), b: z.number(), c: z.boolean(), d: z.string() });
    const error = (() => {
      try {
        parseAnswer(schema, {}, "w");
      } catch (e) {
        return e as TeacherError;
      }
    })();
    expect(error?.kind).toBe("bad_response");
    expect(error?.message).toMatch(/^w: unexpected answer \(a: [^;]+; b: [^;]+; c: [^;]+\)$/);
    expect(() => parseAnswer(z.string(), 1, "w")).toThrow(/^w: unexpected answer \(\(root\): /);
    expect(parseAnswer(z.string(), "fine", "w")).toBe("fine");
    const nested = z.object({ outputs: z.array(z.object({ name: z.string() })) });
    expect(() => parseAnswer(nested, { outputs: [{ name: 1 }] }, "w")).toThrow(
      /^w: unexpected answer \(outputs\.0\.name: /,
    );
  });

  it("checkLabel refuses a label outside the set as unknown_label", () => {
    expect(checkLabel("ham", LABELS, "w")).toBe("ham");
    expect(() => checkLabel("eggs", LABELS, "w")).toThrow(
      expect.objectContaining({ kind: "unknown_label", message: 'w: label "eggs" is not in the label set' }),
    );
  });

  it("http-json: probs as an array in label order, or keyed by label; a bare label is one-hot", () => {
    expect(readHttpJson({ label: "spam", probs: [0.2, 0.8] }, LABELS, "w")).toEqual({
      label: "spam",
      confidence: 0.8,
      probs: [0.2, 0.8],
    });
    expect(readHttpJson({ label: "spam", probs: { spam: 0.7 } }, LABELS, "w")).toEqual({
      label: "spam",
      confidence: 0.7,
      probs: [0, 0.7],
    });
    expect(readHttpJson({ label: "ham" }, LABELS, "w")).toEqual({ label: "ham", confidence: 1, probs: null });
    expect(() => readHttpJson({ label: "ham", probs: [1] }, LABELS, "w")).toThrow(
      expect.objectContaining({ kind: "bad_response", message: "w: 1 probs for 2 labels" }),
    );
    expect(() => readHttpJson({ label: "ham", probs: { ham: 0.5, eggs: 0.5 } }, LABELS, "w")).toThrow(
      expect.objectContaining({ kind: "bad_response", message: 'w: probs name "eggs", not a label' }),
    );
  });

  it("names what each protocol is missing", () => {
    const missing = (env: Record<string, string>, bindings = {}) =>
      (createAdapter(teacherConfig(env), bindings) as TeacherError).message;
    expect(missing({ TEACHER_PROTOCOL: "openai" })).toBe("openai needs TEACHER_URL");
    expect(missing({ TEACHER_PROTOCOL: "workers-ai", TEACHER_MODEL: "m" })).toBe(
      "workers-ai needs the AI binding",
    );
    expect(missing({ TEACHER_PROTOCOL: "workers-ai" }, { AI: { run: async () => ({}) } })).toBe(
      "workers-ai needs TEACHER_MODEL (a Workers AI model name)",
    );
    for (const protocol of ["http-json", "openai", "kserve-v2"] as const) {
      const adapter = createAdapter(
        teacherConfig({ TEACHER_PROTOCOL: protocol, TEACHER_URL: "http://t.test" }),
        {},
      );
      expect(adapter).toMatchObject({ protocol });
    }
  });
});

describe("allOrAbort", () => {
  it("the first failure aborts the others and is the one reported", async () => {
    const seen: AbortSignal[] = [];
    const first = new TeacherError("http_5xx", "first");
    const error = await allOrAbort([0, 1, 2], new AbortController().signal, (i, signal) => {
      seen.push(signal);
      if (i === 1) return Promise.reject(first);
      return new Promise((_, reject) => signal.addEventListener("abort", () => reject(new Error("aborted"))));
    }).catch((e: unknown) => e);
    expect(error).toBe(first);
    expect(seen.every((s) => s.aborted)).toBe(true);
  });

  it("the caller's abort reaches every task, even one that was aborted before it began", async () => {
    const caller = new AbortController();
    caller.abort("deadline");
    const results = await allOrAbort([0, 1], caller.signal, async (_, signal) => [
      signal.aborted,
      signal.reason,
    ]);
    expect(results).toEqual([
      [true, "deadline"],
      [true, "deadline"],
    ]);
    const later = new AbortController();
    const running = allOrAbort(
      [0],
      later.signal,
      (_, signal) =>
        new Promise<unknown>((resolve) => signal.addEventListener("abort", () => resolve(signal.reason))),
    );
    later.abort("late");
    expect(await running).toEqual(["late"]);
  });
});

describe("fetchJson, against a server that answers what each test sets", () => {
  /** What the server answers next, and the headers of the last request it saw. */
  let answer = { status: 200, body: "{}" };
  let seen: IncomingHttpHeaders = {};
  const server = createServer((req, res) => {
    seen = req.headers;
    req.resume();
    res.writeHead(answer.status, { "content-type": "text/plain" });
    res.end(answer.body);
  });
  let url: string;
  beforeAll(async () => {
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/infer`;
  });
  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
  });
  const signal = () => new AbortController().signal;

  it("asks for JSON; sends a content type only with a body and a bearer token only with a key", async () => {
    answer = { status: 200, body: "{}" };
    await fetchJson(url, { method: "GET", signal: signal(), maxBodyBytes: NO_LIMIT });
    expect(seen.accept).toBe("application/json");
    expect(seen["content-type"]).toBeUndefined();
    expect(seen.authorization).toBeUndefined();
    await fetchJson(url, { body: { text: "hi" }, apiKey: "k1", signal: signal(), maxBodyBytes: NO_LIMIT });
    expect(seen["content-type"]).toBe("application/json");
    expect(seen.authorization).toBe("Bearer k1");
  });

  it("an error answer quotes the first 200 characters of its body, none when the body is too large to read", async () => {
    answer = { status: 400, body: "x".repeat(300) };
    expect(await failure(() => post(url))).toMatchObject({
      kind: "http_4xx",
      message: `POST ${url}: HTTP 400 ${"x".repeat(200)}`,
    });
    // An error body is read up to 16 KiB only.
    answer = { status: 503, body: "y".repeat(20 * 1024) };
    expect(await failure(() => post(url))).toMatchObject({
      kind: "http_5xx",
      message: `POST ${url}: HTTP 503`,
    });
  });

  it("a body that is not JSON is quoted to its first 200 characters", async () => {
    answer = { status: 200, body: "z".repeat(300) };
    expect((await failure(() => post(url))).message).toBe(
      `POST ${url}: body is not JSON: ${"z".repeat(200)}`,
    );
  });
});
