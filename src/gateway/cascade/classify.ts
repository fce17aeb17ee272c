import { featurize, featurizeNamed, type NamedFeatures } from "../../core/featurizer.ts";
import type { ModelManifest } from "../../core/manifest.ts";
import { explain, topFeatures } from "../explain/index.ts";
import type { ModelSet } from "../models/model-set.ts";
import type { ClassifyResult } from "../schemas/classify.ts";
import type { AskOptions } from "../teacher-client/types.ts";
import { combine, type TeacherSlot, teacherSlots } from "./answer.ts";
import {
  effectiveThreshold,
  type StudentVerdict,
  shouldAskTeacher,
  studentVerdict,
  type TeacherMode,
} from "./decide.ts";
import type { TeacherPort } from "./port.ts";

/**
 * One classification request, end to end: featurise every text, run the whole batch through ONE
 * session.run, decide per text, send all escalated texts to the teacher in ONE call, merge, explain.
 */
export interface ClassifyOptions {
  threshold?: number;
  teacher: TeacherMode;
  explain: boolean;
  /** The request's ctx.waitUntil, handed to the teacher port. */
  waitUntil?(promise: Promise<unknown>): void;
}

/** How the cascade reaches the teacher: the port, and the model name on the teacher's side. */
export interface TeacherDeps {
  teacher: TeacherPort;
  teacherModel(manifest: ModelManifest): string;
}

export interface ClassifyDeps extends TeacherDeps {
  registry: ModelSet;
}

/** What the cascade decided for every text of a request, in request order. */
export interface ClassifyOutcome {
  manifest: ModelManifest;
  /** The texts as the client sent them. */
  texts: readonly string[];
  mode: TeacherMode;
  verdicts: StudentVerdict[];
  /** What the teacher contributed per text; "not_asked" for the student's confident answers. */
  slots: TeacherSlot[];
  results: ClassifyResult[];
  /** The student's one run, and the teacher call if there was one, in ms. */
  timings: { studentMs: number; teacherMs: number | null };
}

/**
 * Asks the teacher about texts of a model: one query through the port (answers cached per model, version
 * and text normalised as the featuriser does), its outcome checked against the model's labels. Escalation
 * and the hard-example log's audit sample both ask this way.
 */
export async function askTeacher(
  deps: TeacherDeps,
  manifest: ModelManifest,
  texts: readonly string[],
  options: AskOptions = {},
): Promise<TeacherSlot[]> {
  const outcome = await deps.teacher.ask(
    {
      model: deps.teacherModel(manifest),
      labels: manifest.labels,
      texts,
      cache: {
        model: manifest.name,
        version: manifest.version,
        normalization: {
          normalization: manifest.featurizer.normalization,
          lowercase: manifest.featurizer.lowercase,
        },
      },
    },
    options.waitUntil ? { waitUntil: options.waitUntil } : {},
  );
  return teacherSlots(outcome, texts.length, manifest.labels);
}

export async function classifyTexts(
  deps: ClassifyDeps,
  modelName: string,
  texts: readonly string[],
  options: ClassifyOptions,
): Promise<ClassifyOutcome> {
  const model = await deps.registry.load(modelName);
  const { manifest } = model;
  // Explanations need the n-gram behind each id; featurizeNamed yields the very same ids.
  const named: NamedFeatures[] | null = options.explain
    ? texts.map((t) => featurizeNamed(t, manifest.featurizer))
    : null;
  const bags = named ? named.map((f) => f.ids) : texts.map((t) => featurize(t, manifest.featurizer));
  // workerd's clock is coarse (1 ms locally; in production it advances only on I/O, a guard against
  // timing attacks), so a short run can read as 0 ms: the figures are honest about that, not precise.
  const studentStarted = performance.now();
  const rows = await model.logits(bags);
  const studentMs = performance.now() - studentStarted;
  const verdicts = rows.map((row) => studentVerdict(row, manifest));

  const threshold = effectiveThreshold(manifest, options.threshold);
  const escalated: number[] = [];
  verdicts.forEach((v, i) => {
    if (shouldAskTeacher(options.teacher, v.score, threshold)) escalated.push(i);
  });
  const slots: TeacherSlot[] = verdicts.map(() => ({ kind: "not_asked" }));
  let teacherMs: number | null = null;
  if (escalated.length > 0) {
    const teacherStarted = performance.now();
    const answered = await askTeacher(
      deps,
      manifest,
      escalated.map((i) => texts[i]!),
      options,
    );
    teacherMs = performance.now() - teacherStarted;
    answered.forEach((slot, j) => {
      slots[escalated[j]!] = slot;
    });
  }

  const results = verdicts.map((v, i) => combine(v, slots[i]!));
  if (named) {
    const members = deps.registry.weights(modelName);
    results.forEach((result, i) => {
      const classIndex = manifest.labels.indexOf(result.label);
      result.explanation = topFeatures(explain(members, named[i]!, classIndex));
    });
  }
  return {
    manifest,
    texts,
    mode: options.teacher,
    verdicts,
    slots,
    results,
    timings: { studentMs, teacherMs },
  };
}
