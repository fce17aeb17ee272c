import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { kserveV2Adapter } from "./kserve-v2.ts";
import type { TeacherAnswer, TeacherError, TeacherQuery } from "./types.ts";

/**
 * The KServe V2 adapter reading the answers a V2 server may give, from a real HTTP server that answers
 * what each test sets: the authoritative "probabilities" output and its shape, a "label" output alone,
 * metadata without labels. Answers of the real local teacher are specified in
 * test/workerd/teacher-adapters.test.ts (run in both runtimes).
 */
interface Teacher {
  labels?: string[];
  outputs: unknown[];
  /** The metadata's status while set (the labels cache forgets a failed fetch). */
  metadataStatus?: number;
}
const answers = new Map<string, Teacher>();
/** Metadata requests per model: how often the column labels were read. */
const metadataReads = new Map<string, number>();
let server: Server;
let base: string;

beforeAll(async () => {
  server = createServer((req, res) => {
    const [, , , model, infer] = (req.url ?? "").split("/");
    const teacher = answers.get(model ?? "");
    if (!infer) metadataReads.set(model ?? "", (metadataReads.get(model ?? "") ?? 0) + 1);
    if (!infer && teacher?.metadataStatus) {
      res.writeHead(teacher.metadataStatus, { "content-type": "application/json" });
      res.end(JSON.stringify({ error: "metadata unavailable" }));
      return;
    }
    const body = infer
      ? { outputs: teacher?.outputs }
      : { name: model, ...(teacher?.labels ? { parameters: { labels: teacher.labels } } : {}) };
    res.writeHead(200, { "content-type": "application/json" });
    res.end(JSON.stringify(body));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
});

const LABELS = ["ham", "spam"];
/** The answers, or the failure, of one call, and the URL it went to (messages start with it). */
interface Asked {
  value: TeacherAnswer[] | undefined;
  error: TeacherError | undefined;
  url: string;
}
let serial = 0;
/** Asks a fresh model (labels are cached per model) of a teacher that answers as `teacher` says. */
async function ask(teacher: Teacher, texts = ["a", "b"]) {
  const model = `m${++serial}`;
  answers.set(model, teacher);
  const query: TeacherQuery = { model, labels: LABELS, texts };
  const adapter = kserveV2Adapter(base, { maxBodyBytes: 1 << 20 });
  expect(adapter.protocol).toBe("kserve-v2");
  const url = `${base}/v2/models/${model}/infer`;
  return adapter.classify(query, new AbortController().signal).then(
    (value): Asked => ({ value, error: undefined, url }),
    (error: TeacherError): Asked => ({ value: undefined, error, url }),
  );
}
const probabilities = (shape: number[], data: unknown[]) => ({
  name: "probabilities",
  datatype: "FP32",
  shape,
  data,
});
const label = (data: unknown[]) => ({ name: "label", datatype: "BYTES", shape: [data.length], data });

describe("kserve-v2 answers", () => {
  it("the largest column is the label, probabilities re-indexed into the gateway's label order", async () => {
    const { value } = await ask({
      labels: ["spam", "other", "ham"],
      outputs: [probabilities([2, 3], [0.7, 0.1, 0.2, 0.1, 0.3, 0.6])],
    });
    expect(value).toEqual([
      { label: "spam", confidence: 0.7, probs: [0.2, 0.7] },
      { label: "ham", confidence: 0.6, probs: [0.6, 0.1] },
    ]);
  });

  it("a value just over 1 (float rounding) is capped at 1; more is not a probability", async () => {
    const { value } = await ask({ labels: LABELS, outputs: [probabilities([1, 2], [1.00005, 0])] }, ["a"]);
    expect(value).toEqual([{ label: "ham", confidence: 1, probs: [1, 0] }]);
    const { error, url } = await ask({ labels: LABELS, outputs: [probabilities([1, 2], [1.01, 0])] }, ["a"]);
    expect(error).toMatchObject({ kind: "bad_response" });
    expect(error?.message.startsWith(`${url} probabilities: unexpected answer (0: not a probability`)).toBe(
      true,
    );
  });

  it("nested row-major data is read as flat", async () => {
    const { value } = await ask({
      labels: LABELS,
      outputs: [
        probabilities(
          [2, 2],
          [
            [0.9, 0.1],
            [0.2, 0.8],
          ],
        ),
      ],
    });
    expect(value?.map((a) => a.label)).toEqual(["ham", "spam"]);
  });

  it("probabilities of the wrong shape are a bad_response naming both shapes", async () => {
    for (const shape of [
      [2, 2, 1],
      [1, 2],
      [2, 1],
    ]) {
      const { error, url } = await ask({ outputs: [probabilities(shape, [0.5, 0.5, 0.5, 0.5])] });
      if (shape[1] === 1) {
        // Without labels in the metadata the column count is checked first, against the gateway's labels.
        expect(error?.message).toBe(
          `${url}: the metadata names no labels and "probabilities" has 1 columns for 2 labels`,
        );
        continue;
      }
      expect(error?.message).toBe(`${url}: "probabilities" has shape [${shape.join(", ")}], expected [2, 2]`);
      expect(error?.kind).toBe("bad_response");
    }
    const { error, url } = await ask({
      labels: LABELS,
      outputs: [probabilities([2, 2, 1], [0.5, 0.5, 0.5, 0.5])],
    });
    expect(error?.message).toBe(`${url}: "probabilities" has shape [2, 2, 1], expected [2, 2]`);
  });

  it("without labels in the metadata the columns are the gateway's labels, and must be as many", async () => {
    const { value } = await ask({ outputs: [probabilities([1, 2], [0.3, 0.7])] }, ["a"]);
    expect(value).toEqual([{ label: "spam", confidence: 0.7, probs: [0.3, 0.7] }]);
    const { error, url } = await ask({ outputs: [probabilities([1, 3], [0.3, 0.3, 0.4])] }, ["a"]);
    expect(error).toMatchObject({
      kind: "bad_response",
      message: `${url}: the metadata names no labels and "probabilities" has 3 columns for 2 labels`,
    });
  });

  it("a label output alone is a one-hot answer per text", async () => {
    const { value } = await ask({ labels: LABELS, outputs: [label(["spam", "ham"])] });
    expect(value).toEqual([
      { label: "spam", confidence: 1, probs: null },
      { label: "ham", confidence: 1, probs: null },
    ]);
    const { error, url } = await ask({ labels: LABELS, outputs: [label(["spam"])] });
    expect(error?.kind).toBe("bad_response");
    expect(error?.message.startsWith(`${url} label: unexpected answer (`)).toBe(true);
  });

  it("a gateway label the teacher's columns do not name gets probability 0", async () => {
    const { value } = await ask({ labels: ["ham", "other"], outputs: [probabilities([1, 2], [0.7, 0.3])] }, [
      "a",
    ]);
    expect(value).toEqual([{ label: "ham", confidence: 0.7, probs: [0.7, 0] }]);
  });

  it("a label output is checked row by row against its own row of probabilities", async () => {
    const { value } = await ask({
      labels: LABELS,
      outputs: [probabilities([2, 2], [0.8, 0.2, 0.1, 0.9]), label(["ham", "spam"])],
    });
    expect(value?.map((a) => a.label)).toEqual(["ham", "spam"]);
    const { error, url } = await ask({
      labels: LABELS,
      outputs: [probabilities([2, 2], [0.8, 0.2, 0.9, 0.1]), label(["ham", "spam"])],
    });
    expect(error?.message).toBe(
      `${url}: the answer disagrees with the model metadata: row 1: "label" is "spam", not the labelled largest column`,
    );
  });

  it("a label output naming no column is a disagreement", async () => {
    const { error, url } = await ask(
      { labels: LABELS, outputs: [probabilities([1, 2], [0.8, 0.2]), label(["eggs"])] },
      ["a"],
    );
    expect(error).toMatchObject({
      kind: "bad_response",
      message: `${url}: the answer disagrees with the model metadata: row 0: "label" is "eggs", not the labelled largest column`,
    });
  });

  it("an answer with neither output is a bad_response saying so", async () => {
    const { error, url } = await ask({
      labels: LABELS,
      outputs: [{ name: "logits", datatype: "FP32", shape: [2, 2], data: [1, 2, 3, 4] }],
    });
    expect(error).toMatchObject({
      kind: "bad_response",
      message: `${url}: no "probabilities" or "label" output`,
    });
  });

  it("a label output that is not the largest column is a disagreement the fresh metadata cannot settle", async () => {
    const { error, url } = await ask(
      {
        labels: LABELS,
        outputs: [probabilities([1, 2], [0.8, 0.2]), label(["spam"])],
      },
      ["a"],
    );
    expect(error).toMatchObject({
      kind: "bad_response",
      message: `${url}: the answer disagrees with the model metadata: row 0: "label" is "spam", not the labelled largest column`,
    });
    // Ties are agreement.
    const { value } = await ask(
      { labels: LABELS, outputs: [probabilities([1, 2], [0.5, 0.5]), label(["spam"])] },
      ["a"],
    );
    expect(value).toEqual([{ label: "ham", confidence: 0.5, probs: [0.5, 0.5] }]);
  });

  it("probabilities with another column count than the metadata names is a disagreement", async () => {
    const { error, url } = await ask(
      { labels: ["ham", "spam", "eggs"], outputs: [probabilities([1, 2], [0.8, 0.2])] },
      ["a"],
    );
    expect(error).toMatchObject({
      kind: "bad_response",
      message: `${url}: the answer disagrees with the model metadata: "probabilities" has 2 columns, the metadata names 3`,
    });
  });
});

describe("kserve-v2 column labels cache", () => {
  afterEach(() => {
    vi.useRealTimers();
  });
  const TTL_MS = 1000;
  /** One model asked again and again by one adapter, on a clock the test moves. */
  function sameModel(teacher: Teacher) {
    const model = `cached${++serial}`;
    answers.set(model, teacher);
    const adapter = kserveV2Adapter(base, { maxBodyBytes: 1 << 20, labelsTtlMs: TTL_MS });
    const query: TeacherQuery = { model, labels: LABELS, texts: ["a"] };
    return {
      ask: () => adapter.classify(query, new AbortController().signal),
      reads: () => metadataReads.get(model) ?? 0,
      answerAs: (next: Teacher) => answers.set(model, next),
    };
  }

  it("trusts the labels for labelsTtlMs and reads them again at the TTL, not later", async () => {
    vi.useFakeTimers({ toFake: ["Date"] });
    const start = Date.now();
    const teacher = sameModel({ labels: LABELS, outputs: [probabilities([1, 2], [0.2, 0.8])] });
    await teacher.ask();
    expect(teacher.reads()).toBe(1);
    vi.setSystemTime(start + TTL_MS - 1);
    await teacher.ask();
    expect(teacher.reads()).toBe(1);
    vi.setSystemTime(start + TTL_MS);
    await teacher.ask();
    expect(teacher.reads()).toBe(2);
    // The TTL runs from the new read.
    vi.setSystemTime(start + 2 * TTL_MS - 1);
    await teacher.ask();
    expect(teacher.reads()).toBe(2);
  });

  it("a failed metadata read fails the call and is forgotten: the next call reads again", async () => {
    const outputs = [probabilities([1, 2], [0.2, 0.8])];
    const teacher = sameModel({ labels: LABELS, outputs, metadataStatus: 503 });
    await expect(teacher.ask()).rejects.toMatchObject({ kind: "http_5xx" });
    expect(teacher.reads()).toBe(1);
    teacher.answerAs({ labels: LABELS, outputs });
    expect(await teacher.ask()).toEqual([{ label: "spam", confidence: 0.8, probs: [0.2, 0.8] }]);
    expect(teacher.reads()).toBe(2);
  });
});
