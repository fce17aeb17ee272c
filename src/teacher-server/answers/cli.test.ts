import { execFile, spawn } from "node:child_process";
import { once } from "node:events";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { writeTinyTeacher } from "../fixture.ts";
import { postJson, v2Request } from "../test-helpers.ts";
import { parseAnswers } from "./file.ts";

const run = promisify(execFile);
const TEACHER = ["--import", "tsx", "src/teacher-server/main.ts"];
const ANSWERS = ["--import", "tsx", "src/teacher-server/answers/main.ts"];

interface Failure {
  code: number;
  stderr: string;
}
const failure = (args: string[]): Promise<Failure | null> =>
  run("node", args).then(
    () => null,
    (error: Failure) => error,
  );

let root: string;
let model: string;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), "apprentice-answers-cli-"));
  model = join(root, "models", "tiny");
  await writeTinyTeacher({ dir: model, name: "tiny" });
  await writeFile(join(root, "answers.tsv"), "refund please\tweather\n");
  await writeFile(join(root, "bad.tsv"), "refund please\tweather\nhi\tsmalltalk\n");
  const data = Array.from({ length: 30 }, (_, i) => {
    const [text, label] = [
      [`refund my invoice ${i}`, "billing"],
      [`hello good morning ${i}`, "greeting"],
      [`rain and snow ${i}`, "weather"],
    ][i % 3]!;
    return JSON.stringify({ text, label });
  });
  await writeFile(join(root, "data.jsonl"), `${data.join("\n")}\n`);
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describe("npm run teacher -- --answers", () => {
  it("replays a bare answers file for the only model, and says so", { timeout: 30_000 }, async () => {
    const child = spawn(
      "node",
      [...TEACHER, "--port", "0", "--models", model, "--answers", join(root, "answers.tsv")],
      {
        stdio: ["ignore", "pipe", "pipe"],
      },
    );
    const exited = once(child, "exit");
    try {
      let out = "";
      const url = await new Promise<string>((resolve, reject) => {
        child.stdout!.on("data", (chunk: Buffer) => {
          out += String(chunk);
          const match = /teacher listening on (http:\/\/\S+)[\s\S]*answers: (.*)\n/.exec(out);
          if (match) resolve(match[1]!);
        });
        child.once("exit", () => reject(new Error(`the teacher exited:\n${out}`)));
      });
      expect(out).toMatch(/answers: tiny replays .*answers\.tsv \(1 texts; unknown texts: refused \(422\)\)/);
      const res = await postJson(`${url}/v2/models/tiny/infer`, v2Request(["Refund  please"]));
      expect((res.body as { outputs: { data: unknown[] }[] }).outputs[1]!.data).toEqual(["weather"]);
      child.kill("SIGTERM");
      expect((await exited)[0]).toBe(0);
    } finally {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
    }
  });

  it("documents --answers and --answers-fallback in --help", { timeout: 30_000 }, async () => {
    const { stdout } = await run("node", [...TEACHER, "--help"]);
    expect(stdout).toMatch(/--answers <model>=<file>/);
    expect(stdout).toMatch(/--answers-fallback <none\|model>/);
  });

  it("exits 2 for a bad fallback and 1 for a bad answers file", { timeout: 30_000 }, async () => {
    const usage = await failure([...TEACHER, "--answers-fallback", "guess"]);
    expect(usage?.code).toBe(2);
    expect(usage?.stderr).toMatch(/--answers-fallback must be none or model/);
    const bad = await failure([
      ...TEACHER,
      "--port",
      "0",
      "--models",
      model,
      "--answers",
      `tiny=${join(root, "bad.tsv")}`,
    ]);
    expect(bad?.code).toBe(1);
    expect(bad?.stderr).toMatch(/cannot start: .*bad\.tsv:2: unknown label "smalltalk"/);
  });
});

describe("npm run answers", () => {
  it("writes a JSONL answers file at the chosen accuracy and reports it", { timeout: 30_000 }, async () => {
    const out = join(root, "out", "answers.jsonl");
    const args = [
      "--data",
      join(root, "data.jsonl"),
      "--model",
      model,
      "--accuracy",
      "0.9",
      "--seed",
      "4",
      "--out",
      out,
    ];
    const { stdout } = await run("node", [...ANSWERS, ...args]);
    // A file called only "data" is named by its folder (distill/data's naming rule).
    expect(stdout).toMatch(
      /wrote .*answers\.jsonl: 30 texts \(30 examples of apprentice-answers-cli-\w+\), model tiny/,
    );
    expect(stdout).toMatch(/accuracy against gold: 90\.00% \(target 90\.00%\), 3 texts answered wrongly/);
    const answers = parseAnswers(await readFile(out, "utf8"), out);
    expect(answers).toHaveLength(30);
    expect(answers.every((a) => a.probs !== null)).toBe(true);
  });

  it("exits 2 with usage when a required flag is missing", { timeout: 30_000 }, async () => {
    const failed = await failure([...ANSWERS, "--data", "clinc150", "--model", "clinc150"]);
    expect(failed?.code).toBe(2);
    expect(failed?.stderr).toMatch(/--out is required/);
    expect(failed?.stderr).toMatch(/Usage: npm run answers/);
  });
});
