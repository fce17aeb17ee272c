import { mkdir, writeFile } from "node:fs/promises";
import { dirname } from "node:path";
import { dataFileOf, type Example, loadDataset } from "../../src/distill/data/index.ts";
import type { GatewayClient } from "../../src/distill/gateway-client/client.ts";
import { readTeacherPackage } from "../../src/distill/package/teacher.ts";
import { type AnswerLine, answerJsonLine } from "../../src/teacher-server/answers/file.ts";
import { synthesiseAnswers } from "../../src/teacher-server/answers/synthesise.ts";
import { TeacherModel } from "../../src/teacher-server/model.ts";

export interface Recorded {
  examples: Example[];
  labels: string[];
  lines: AnswerLine[];
  /** The recorded answers' accuracy against gold over every example. */
  accuracy: number;
}

/**
 * The data set's every split and a recorded-answers file for it at `accuracy`, as `npm run answers`
 * writes it (errors on the local teacher's plausible confusions), for the teacher server to replay.
 */
export async function recordAnswers(data: string, accuracy: number, file: string): Promise<Recorded> {
  const dataset = await loadDataset({ data: dataFileOf(data), seed: 1 });
  const examples = [...dataset.train, ...dataset.val, ...dataset.test];
  const model = await TeacherModel.create(await readTeacherPackage(`models/${data}`));
  try {
    const { lines, stats } = await synthesiseAnswers(examples, model, { accuracy, seed: 1 });
    await mkdir(dirname(file), { recursive: true });
    await writeFile(file, lines.map((line) => `${answerJsonLine(line)}\n`).join(""));
    return { examples, labels: [...model.labels], lines, accuracy: stats.accuracy };
  } finally {
    await model.release();
  }
}

/** A model with a label set and its own teacher (OpenAI protocol) and no student: teacher-only. */
export async function defineTeacherOnlyModel(
  client: GatewayClient,
  name: string,
  labels: string[],
  teacher: { url: string; model: string },
): Promise<void> {
  await client.defineModel(name, {
    labels,
    outOfScopeLabel: labels.includes("oos") ? "oos" : null,
    teacher: { protocol: "openai", url: teacher.url, model: teacher.model },
  });
  // The registry pointers are cached per isolate: wait until the gateway knows the new model.
  const deadline = Date.now() + 60_000;
  while ((await client.modelDetail(name)) === null) {
    if (Date.now() > deadline)
      throw new Error(`the gateway does not serve "${name}" a minute after defining it`);
    await new Promise((r) => setTimeout(r, 250));
  }
}
