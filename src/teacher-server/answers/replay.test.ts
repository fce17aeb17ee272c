import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { TokenLogprob } from "../../core/openai-chat.ts";
import { writeTinyTeacher } from "../fixture.ts";
import { TeacherModel } from "../model.ts";
import { startTeacherServer } from "../server.ts";
import {
  chatRequest,
  getJson,
  type JsonReply,
  postJson,
  startTinyServer,
  type TinyServer,
  v2Request,
} from "../test-helpers.ts";
import { RECORDED_CONFIDENCE } from "./distribution.ts";

/** The teacher server replaying recorded answers (--answers), over real HTTP. */
const LABELS = ["billing", "greeting", "weather"];
// The tiny model itself answers "billing" for the first text: the replayed "weather" proves the file is used.
const TINY_JSONL = [
  '{"text": "Please refund my invoice", "label": "weather", "probs": {"weather": 0.7, "billing": 0.2}}',
  '{"text": "hello, good morning", "label": "greeting"}',
].join("\n");
const ENS_TSV = "will it snow or rain?\tbilling\n";

let dir: string;
let strict: TinyServer;
let lenient: TinyServer;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "apprentice-answers-"));
  await writeFile(join(dir, "tiny.jsonl"), TINY_JSONL);
  await writeFile(join(dir, "ens.tsv"), ENS_TSV);
  strict = await startTinyServer({
    answers: [
      { model: "tiny", file: join(dir, "tiny.jsonl") },
      { model: "ens", file: join(dir, "ens.tsv") },
    ],
  });
  lenient = await startTinyServer({
    answers: [{ model: "tiny", file: join(dir, "tiny.jsonl") }],
    answersFallback: "model",
  });
});
afterAll(async () => {
  await strict?.stop();
  await lenient?.stop();
  await rm(dir, { recursive: true, force: true });
});

interface V2Output {
  name: string;
  data: (number | string)[];
}

async function infer(t: TinyServer, model: string, texts: string[]): Promise<JsonReply> {
  return postJson(`${t.server.url}/v2/models/${model}/infer`, v2Request(texts));
}

function outputs(res: JsonReply): { probs: number[]; labels: string[] } {
  expect(res.status).toBe(200);
  const [probs, labels] = (res.body as { outputs: V2Output[] }).outputs;
  return { probs: probs!.data as number[], labels: labels!.data as string[] };
}

function expectClose(actual: readonly number[], want: readonly number[]): void {
  expect(actual).toHaveLength(want.length);
  for (let i = 0; i < want.length; i++) expect(actual[i]).toBeCloseTo(want[i]!, 6);
}

function chat(t: TinyServer, model: string, text: string, extra: Record<string, unknown> = {}) {
  return postJson(
    `${t.server.url}/v1/chat/completions`,
    chatRequest(model, `Classify.\nText: ${text}`, extra),
  );
}

function labelToken(res: JsonReply): TokenLogprob {
  expect(res.status).toBe(200);
  const choice = (res.body as { choices: { logprobs: { content: TokenLogprob[] } }[] }).choices[0]!;
  return choice.logprobs.content[1]!;
}

describe("KServe V2 with recorded answers", () => {
  it("replays the file's labels and probabilities, in the model's label order", async () => {
    const { probs, labels } = outputs(
      await infer(strict, "tiny", ["Please refund my invoice", "hello, good morning"]),
    );
    expect(labels).toEqual(["weather", "greeting"]);
    // Row 1: listed 0.2 (billing) and 0.7 (weather); greeting, unlisted, gets the remaining 0.1.
    expectClose(probs.slice(0, 3), [0.2, 0.1, 0.7]);
    // Row 2: no probs in the file: the confident default.
    const rest = (1 - RECORDED_CONFIDENCE) / 2;
    expectClose(probs.slice(3, 6), [rest, RECORDED_CONFIDENCE, rest]);
  });

  it("matches texts after the featuriser's normalisation", async () => {
    const variants = [
      "PLEASE REFUND MY INVOICE",
      "  please\trefund  my\ninvoice ",
      "Ｐｌｅａｓｅ refund my invoice",
    ];
    expect(outputs(await infer(strict, "tiny", variants)).labels).toEqual(["weather", "weather", "weather"]);
    expect(outputs(await infer(strict, "ens", ["Will it SNOW or rain?"])).labels).toEqual(["billing"]);
  });

  it("refuses a text the file does not answer with 422 {error}, naming it", async () => {
    const res = await infer(strict, "tiny", ["hello, good morning", "I want a refund"]);
    expect(res.status).toBe(422);
    expect(Object.keys(res.body as object)).toEqual(["error"]);
    expect((res.body as { error: string }).error).toMatch(
      /^model "tiny" has no recorded answer for text 1 of the request \("I want a refund"\).*--answers-fallback model/,
    );
  });

  it("keeps the model's metadata and label order", async () => {
    const meta = await getJson(`${strict.server.url}/v2/models/tiny`);
    expect(meta.body).toMatchObject({ name: "tiny", parameters: { labels: LABELS } });
    expect(strict.server.answers).toEqual([
      { model: "tiny", file: join(dir, "tiny.jsonl"), texts: 2 },
      { model: "ens", file: join(dir, "ens.tsv"), texts: 1 },
    ]);
  });
});

describe("OpenAI chat completions with recorded answers", () => {
  it("answers the recorded label with logprobs derived from its probs", async () => {
    const res = await chat(strict, "tiny", "please refund my invoice", { logprobs: true, top_logprobs: 3 });
    const body = res.body as { choices: { message: { content: string } }[] };
    expect(body.choices[0]!.message.content).toBe('{"label":"weather"}');
    const token = labelToken(res);
    expect(token.token).toBe("weather");
    expect(token.logprob).toBeCloseTo(Math.log(0.7), 6);
    expect(token.top_logprobs.map((a) => a.token)).toEqual(["weather", "billing", "greeting"]);
    expectClose(
      token.top_logprobs.map((a) => a.logprob),
      [0.7, 0.2, 0.1].map(Math.log),
    );
  });

  it("gives an answer without probs the confident distribution", async () => {
    const token = labelToken(
      await chat(strict, "tiny", "Hello, good morning", { logprobs: true, top_logprobs: 2 }),
    );
    expect(token.logprob).toBeCloseTo(Math.log(RECORDED_CONFIDENCE), 9);
    expect(token.top_logprobs).toHaveLength(2);
    expect(token.top_logprobs[1]!.logprob).toBeCloseTo(Math.log((1 - RECORDED_CONFIDENCE) / 2), 9);
  });

  it("refuses an unknown text with 422 in OpenAI's error shape", async () => {
    const res = await chat(strict, "tiny", "what is the forecast");
    expect(res.status).toBe(422);
    expect(res.body).toEqual({
      error: {
        message: expect.stringMatching(/^model "tiny" has no recorded answer for "what is the forecast"/),
        type: "invalid_request_error",
        param: null,
        code: "unknown_text",
      },
    });
  });
});

describe("--answers-fallback model", () => {
  it("answers unknown texts with the model and known ones from the file, in one batch", async () => {
    const { probs, labels } = outputs(
      await infer(lenient, "tiny", ["please refund my invoice", "I want a refund", "will it rain"]),
    );
    expect(labels).toEqual(["weather", "billing", "weather"]);
    // The unknown texts get exactly the model's own distribution.
    const model = await TeacherModel.create(lenient.packages[0]!);
    try {
      const own = await model.predict(["I want a refund", "will it rain"]);
      expectClose(
        probs.slice(3),
        own.flatMap((p) => Array.from(p.probs)),
      );
    } finally {
      await model.release();
    }
    const res = await chat(lenient, "tiny", "hi there");
    expect(res.status).toBe(200);
  });

  it("leaves a model without answers serving itself", async () => {
    expect(outputs(await infer(lenient, "ens", ["will it snow or rain?"])).labels).toEqual(["weather"]);
  });
});

describe("starting with --answers", () => {
  let root: string;
  let models: string[];
  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), "apprentice-answers-start-"));
    const a = await writeTinyTeacher({ dir: join(root, "tiny"), name: "tiny" });
    const b = await writeTinyTeacher({ dir: join(root, "ens"), name: "ens" });
    models = [a.dir, b.dir];
    await writeFile(join(root, "bad.tsv"), "hello\tgreeting\nwhat now\tsports\n");
    await writeFile(join(root, "good.tsv"), "hello\tgreeting\n");
  });
  afterAll(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it.each([
    ["a label the model lacks", [{ model: "tiny", file: "bad.tsv" }], /bad\.tsv:2: unknown label "sports"/],
    ["no model named while two are served", [{ file: "good.tsv" }], /names no model and 2 are served/],
    ["a model not served", [{ model: "nope", file: "good.tsv" }], /no model "nope" is served/],
    ["a missing file", [{ model: "tiny", file: "missing.tsv" }], /missing\.tsv: cannot read file/],
    [
      "two files for one model",
      [
        { model: "tiny", file: "good.tsv" },
        { model: "tiny", file: "good.tsv" },
      ],
      /model "tiny" is given two answers files/,
    ],
  ])("refuses %s", async (_, specs, message) => {
    const answers = specs.map((s) => ({ ...s, file: join(root, s.file) }));
    await expect(startTeacherServer({ port: 0, models, answers })).rejects.toThrow(message);
  });

  it("applies a file without a model name to the only served model", async () => {
    const server = await startTeacherServer({
      port: 0,
      models: [models[0]!],
      answers: [{ file: join(root, "good.tsv") }],
    });
    try {
      expect(server.answers).toEqual([{ model: "tiny", file: join(root, "good.tsv"), texts: 1 }]);
    } finally {
      await server.close();
    }
  });
});
