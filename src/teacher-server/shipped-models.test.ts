import { existsSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { featurize } from "../core/featurizer.ts";
import { softmax } from "../core/softmax.ts";
import { onnxLogits } from "../distill/package/onnx-node.ts";
import { readTeacherPackage, type TeacherPackage } from "../distill/package/teacher.ts";
import { startTeacherServer, type TeacherServer } from "./server.ts";
import { chatRequest, postJson, v2Request } from "./test-helpers.ts";

/** The shipped models/clinc150 teacher, when the toolkit has produced it (skipped otherwise). */
const DIR = "models/clinc150";
const shipped = existsSync(`${DIR}/teacher/manifest.json`);

describe.skipIf(!shipped)("models/clinc150 teacher", () => {
  let server: TeacherServer;
  let pkg: TeacherPackage;
  beforeAll(async () => {
    pkg = await readTeacherPackage(DIR);
    server = await startTeacherServer({ port: 0, models: [DIR] });
  }, 60_000);
  afterAll(async () => {
    await server?.close();
  });

  const TEXTS = [
    "what is the weather like today",
    "transfer $100 from checking to savings",
    "tell me a joke",
  ];

  it("answers V2 requests exactly as onnxruntime-node does on the shipped graph", async () => {
    const res = await postJson(`${server.url}/v2/models/${pkg.manifest.name}/infer`, v2Request(TEXTS));
    expect(res.status).toBe(200);
    const [probs, labels] = (res.body as { outputs: { data: (number | string)[] }[] }).outputs;
    const classes = pkg.manifest.labels.length;
    const direct = await onnxLogits(
      pkg.onnx,
      pkg.manifest.onnx,
      TEXTS.map((t) => featurize(t, pkg.manifest.featurizer)),
    );
    TEXTS.forEach((_, i) => {
      const row = probs!.data.slice(i * classes, (i + 1) * classes) as number[];
      expect(row.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 6);
      const want = new Float64Array(classes);
      softmax(direct[i]!, want);
      row.forEach((p, c) => {
        expect(p).toBeCloseTo(want[c]!, 9);
      });
      expect(labels!.data[i]).toBe(pkg.manifest.labels[row.indexOf(Math.max(...row))]);
    });
    expect(pkg.manifest.labels).toContain(labels!.data[0]);
  });

  it("answers chat completions with a label of the model", async () => {
    const res = await postJson(
      `${server.url}/v1/chat/completions`,
      chatRequest(pkg.manifest.name, `Text: ${TEXTS[0]}`, { logprobs: true, top_logprobs: 3 }),
    );
    expect(res.status).toBe(200);
    const content = (res.body as { choices: { message: { content: string } }[] }).choices[0]!.message.content;
    expect(pkg.manifest.labels).toContain((JSON.parse(content) as { label: string }).label);
  });
});
