import { featurize, featurizeNamed, type NamedFeatures } from "../../core/featurizer.ts";
import type { ModelManifest } from "../../core/manifest.ts";
import { explain, topFeatures } from "../explain/index.ts";
import { now } from "../metrics/clock.ts";
import type { ModelSet } from "../models/model-set.ts";
import type { ClassifyResult } from "../schemas/classify.ts";
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
  /** What a text becomes before it is sent to the teacher (privacy: REDACTION "log+teacher"). */
  teacherText?(text: string): string;
  /**
   * Called once every text is answered, before the response is built (the hard-example log, hard-example-log/).
   * It must not throw or block: anything slow goes to waitUntil.
   */
  onAnswered?(answered: AnsweredTexts): void;
}

/** What the cascade decided for each text of a request, for the hard-example log. */
export interface AnsweredTexts {
  manifest: ModelManifest;
  texts: readonly string[];
  verdicts: readonly StudentVerdict[];
  /** What the teacher contributed per text; "not_asked" for the student's confident answers. */
  slots: readonly TeacherSlot[];
  mode: TeacherMode;
  /** Asks the teacher about some of the texts exactly as escalation does (same port, query, checks). */
  askTeacher(indices: readonly number[]): Promise<TeacherSlot[]>;
}

export interface ClassifyDeps {
  registry: ModelSet;
  teacher: TeacherPort;
  /** The model name on the teacher's side for a gateway model. */
  teacherModel(manifest: ModelManifest): string;
}

export interface ClassifyOutcome {
  manifest: ModelManifest;
  verdicts: StudentVerdict[];
  results: ClassifyResult[];
  /** For telemetry (src/gateway/metrics): the student's run, and the teacher call if there was one. */
  timings: { studentMs: number; teacherMs: number | null };
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
  const studentStarted = now();
  const rows = await model.logits(bags);
  const studentMs = now() - studentStarted;
  const verdicts = rows.map((row) => studentVerdict(row, manifest));

  const threshold = effectiveThreshold(manifest, options.threshold);
  const escalated: number[] = [];
  verdicts.forEach((v, i) => {
    if (shouldAskTeacher(options.teacher, v.score, threshold)) escalated.push(i);
  });
  const slots: TeacherSlot[] = verdicts.map(() => ({ kind: "not_asked" }));
  const teacherText = options.teacherText ?? ((text: string) => text);
  const askTeacher = async (indices: readonly number[]): Promise<TeacherSlot[]> => {
    const outcome = await deps.teacher.ask(
      {
        model: deps.teacherModel(manifest),
        labels: manifest.labels,
        texts: indices.map((i) => teacherText(texts[i]!)),
        // Cached answers are keyed by model, version and the text normalised as the featuriser does.
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
    return teacherSlots(outcome, indices.length, manifest.labels);
  };
  let teacherMs: number | null = null;
  if (escalated.length > 0) {
    const teacherStarted = now();
    const answered = await askTeacher(escalated);
    teacherMs = now() - teacherStarted;
    answered.forEach((slot, j) => {
      slots[escalated[j]!] = slot;
    });
  }
  options.onAnswered?.({ manifest, texts, verdicts, slots, mode: options.teacher, askTeacher });

  const results = verdicts.map((v, i) => combine(v, slots[i]!));
  if (named) {
    const members = deps.registry.weights(modelName);
    results.forEach((result, i) => {
      const classIndex = manifest.labels.indexOf(result.label);
      result.explanation = topFeatures(explain(members, named[i]!, classIndex));
    });
  }
  return { manifest, verdicts, results, timings: { studentMs, teacherMs } };
}
