import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mulberry32 } from "../../core/random.ts";
import type { Example } from "../../distill/data/index.ts";
import { TINY_KEYWORDS, writeTinyTeacher } from "../fixture.ts";
import { TeacherModel } from "../model.ts";
import { AnswerBook } from "./answer-book.ts";
import { answerJsonLine, parseAnswers } from "./file.ts";
import { synthesiseAnswers } from "./synthesise.ts";

const LABELS = Object.keys(TINY_KEYWORDS);
const FILLER = ["please", "today", "my", "the", "about", "now", "again", "maybe"];

/**
 * 1,500 labelled texts: each has a keyword of its gold label, and two in three also one of a
 * "distractor" label — the confusion a plausible teacher would make on that text.
 */
function labelledTexts(n: number): { examples: Example[]; distractor: Map<string, string> } {
  const rand = mulberry32(3);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;
  const examples: Example[] = [];
  const distractor = new Map<string, string>();
  for (let i = 0; i < n; i++) {
    const gold = LABELS[i % LABELS.length]!;
    const words = [pick(TINY_KEYWORDS[gold]!), pick(TINY_KEYWORDS[gold]!), pick(FILLER), `n${i}`];
    if (i % 3 !== 0) {
      const other = pick(LABELS.filter((l) => l !== gold));
      words.push(pick(TINY_KEYWORDS[other]!));
      distractor.set(words.join(" "), other);
    }
    examples.push({ text: words.join(" "), label: gold });
  }
  return { examples, distractor };
}

let root: string;
let model: TeacherModel;
const { examples, distractor } = labelledTexts(1500);
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), "apprentice-synth-"));
  const pkg = await writeTinyTeacher({ dir: join(root, "tiny"), name: "tiny" });
  model = await TeacherModel.create({ ...pkg, dir: join(root, "tiny", "teacher") });
});
afterAll(async () => {
  await model?.release();
  await rm(root, { recursive: true, force: true });
});

const wrongTexts = (lines: { text: string; label: string }[], gold: Map<string, string>) =>
  new Set(lines.filter((l) => l.label !== gold.get(l.text)).map((l) => l.text));
const goldOf = new Map(examples.map((e) => [e.text, e.label]));

describe("synthesiseAnswers", () => {
  it.each([0.97, 0.9, 0.85, 0.6])(
    "realises accuracy %s within ±0.5 points on 1,500 texts",
    async (accuracy) => {
      const { lines, stats } = await synthesiseAnswers(examples, model, { accuracy, seed: 1 });
      expect(lines).toHaveLength(examples.length);
      const correct = lines.filter((l) => l.label === goldOf.get(l.text)).length;
      expect(Math.abs(correct / examples.length - accuracy)).toBeLessThanOrEqual(0.005);
      expect(stats.accuracy).toBeCloseTo(correct / examples.length, 12);
      expect(stats).toMatchObject({ examples: 1500, texts: 1500 });
    },
  );

  it("is deterministic per text: same seed, same file; the wrong texts at 97% stay wrong at 85%", async () => {
    const a = await synthesiseAnswers(examples, model, { accuracy: 0.97, seed: 1 });
    const b = await synthesiseAnswers([...examples].reverse(), model, {
      accuracy: 0.97,
      seed: 1,
      batchSize: 7,
    });
    const byText = (lines: typeof a.lines) => new Map(lines.map((l) => [l.text, l]));
    expect(byText(b.lines)).toEqual(byText(a.lines));
    const at85 = await synthesiseAnswers(examples, model, { accuracy: 0.85, seed: 1 });
    const wrong97 = wrongTexts(a.lines, goldOf);
    const wrong85 = wrongTexts(at85.lines, goldOf);
    for (const text of wrong97) expect(wrong85.has(text)).toBe(true);
    // Another seed picks other texts.
    const other = wrongTexts(
      (await synthesiseAnswers(examples, model, { accuracy: 0.97, seed: 2 })).lines,
      goldOf,
    );
    expect([...other].filter((t) => wrong97.has(t)).length).toBeLessThan(wrong97.size / 2);
  });

  it("answers each distinct normalised text once, the same way for its variants", async () => {
    const doubled = [
      ...examples.slice(0, 999),
      { text: "  REFUND my BILL ", label: "billing" },
      { text: "refund my bill", label: "billing" },
    ];
    const { lines, stats } = await synthesiseAnswers(doubled, model, { accuracy: 0.9, seed: 1 });
    expect(stats).toMatchObject({ examples: 1001, texts: 1000 });
    expect(lines.filter((l) => l.text.toLowerCase().trim() === "refund my bill")).toHaveLength(1);
  });

  it("errs on the model's best label after gold, not uniformly", async () => {
    const { lines, stats } = await synthesiseAnswers(examples, model, { accuracy: 0.8, seed: 1 });
    const wrong = lines.filter((l) => l.label !== goldOf.get(l.text));
    expect(wrong.length).toBeGreaterThan(250);
    const predictions = await model.predict(wrong.map((l) => l.text));
    wrong.forEach((line, i) => {
      const probs = predictions[i]!.probs;
      const gold = LABELS.indexOf(goldOf.get(line.text)!);
      const best = LABELS.map((_, c) => c)
        .filter((c) => c !== gold)
        .reduce((a, c) => (probs[c]! > probs[a]! ? c : a));
      expect(line.label).toBe(LABELS[best]);
    });
    // Where a text mentions another label, that is nearly always the error (uniform noise: half the time).
    const withDistractor = wrong.filter((l) => distractor.has(l.text));
    const onDistractor = withDistractor.filter((l) => l.label === distractor.get(l.text)).length;
    expect(onDistractor / withDistractor.length).toBeGreaterThan(0.9);
    expect(stats.runnerUpShare + stats.modelAnswerShare).toBeCloseTo(1, 12);
    expect(stats.runnerUpShare).toBeGreaterThan(0.9);
  });

  it("writes peaked probs the teacher server accepts: the answer first, gold or the confusion second", async () => {
    const { lines } = await synthesiseAnswers(examples, model, { accuracy: 0.85, seed: 1 });
    const file = lines.map((l) => `${answerJsonLine(l)}\n`).join("");
    const book = AnswerBook.build(parseAnswers(file, "s.jsonl"), { ...model.manifest }, "s.jsonl");
    expect(book.size).toBe(examples.length);
    for (const line of lines) {
      const entries = Object.entries(line.probs!).sort((a, b) => b[1] - a[1]);
      expect(entries).toHaveLength(2);
      expect(entries[0]![0]).toBe(line.label);
      const right = line.label === goldOf.get(line.text);
      expect(entries[0]![1]).toBeGreaterThanOrEqual(right ? 0.8 : 0.55);
      if (!right) expect(entries[1]![0]).toBe(goldOf.get(line.text));
      expect(book.lookup(line.text)!.label).toBe(line.label);
    }
  });

  it("refuses a data set with a label the model lacks, and a bad accuracy", async () => {
    await expect(
      synthesiseAnswers([{ text: "a", label: "sports" }], model, { accuracy: 0.9, seed: 1 }),
    ).rejects.toThrow(/label "sports" of the data set is not one of model "tiny"'s labels/);
    await expect(synthesiseAnswers(examples, model, { accuracy: 1.2, seed: 1 })).rejects.toThrow(/accuracy/);
  });
});
