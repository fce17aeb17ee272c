import { z } from "zod";
import type { TeacherPackage } from "../../distill/package/teacher.ts";
import { AnswerBook } from "./answer-book.ts";
import { readAnswersFile } from "./file.ts";
import { FALLBACKS, Replay } from "./replay.ts";

/** Which model replays which answers file; `model` may be left out when one model is served. */
export const AnswersSpec = z.object({ model: z.string().min(1).optional(), file: z.string().min(1) });
export type AnswersSpec = z.infer<typeof AnswersSpec>;
export const Fallback = z.enum(FALLBACKS);

/** `--answers NAME=FILE`, or a bare `FILE` for the only served model. */
export function parseAnswersFlag(value: string): AnswersSpec {
  const at = value.indexOf("=");
  const model = at > 0 ? value.slice(0, at) : "";
  // A path with "=" in it but no model name before it (e.g. ./a=b.tsv) stays a path.
  if (model === "" || /[/\\]/.test(model)) return { file: value };
  return { model, file: value.slice(at + 1) };
}

function modelOf(spec: AnswersSpec, served: readonly string[]): string {
  if (spec.model === undefined) {
    if (served.length === 1) return served[0]!;
    throw new Error(
      `--answers ${spec.file} names no model and ${served.length} are served: write --answers <model>=${spec.file}` +
        ` (models: ${served.join(", ")})`,
    );
  }
  if (!served.includes(spec.model)) {
    throw new Error(
      `--answers ${spec.model}=…: no model "${spec.model}" is served (models: ${served.join(", ")})`,
    );
  }
  return spec.model;
}

/** Reads and checks every answers file against its model's labels, before any session is created. */
export async function readReplays(
  specs: readonly AnswersSpec[],
  fallback: z.infer<typeof Fallback>,
  packages: readonly TeacherPackage[],
): Promise<Map<string, Replay>> {
  const manifests = new Map(packages.map((p) => [p.manifest.name, p.manifest]));
  const replays = new Map<string, Replay>();
  for (const spec of specs) {
    const name = modelOf(spec, [...manifests.keys()]);
    if (replays.has(name)) throw new Error(`--answers: model "${name}" is given two answers files`);
    const manifest = manifests.get(name)!;
    const answers = await readAnswersFile(spec.file);
    const book = AnswerBook.build(answers, manifest, spec.file);
    replays.set(name, new Replay(name, book, fallback));
  }
  return replays;
}
