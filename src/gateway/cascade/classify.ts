import {
  type FeaturizerConfig,
  featurize,
  featurizeNamed,
  type NamedFeatures,
} from "../../core/featurizer.ts";
import type { ModelManifest } from "../../core/manifest.ts";
import { ApiError } from "../errors.ts";
import { explain, topFeatures } from "../explain/index.ts";
import { now } from "../metrics/clock.ts";
import type { ModelSet } from "../models/model-set.ts";
import { NO_STUDENT_NORMALIZATION, NO_STUDENT_VERSION } from "../registry/model-definition.ts";
import { type ClassifyResult, combine, type TeacherSlot, teacherSlots } from "./answer.ts";
import {
  effectiveThreshold,
  type StudentVerdict,
  shouldAskTeacher,
  studentVerdict,
  type TeacherMode,
} from "./decide.ts";
import type { ModelTeacher, TeacherResolver } from "./model-teacher.ts";
import { answerFromTeacher } from "./teacher-only.ts";

/**
 * One classification request, end to end: featurise every text, run the whole batch through ONE
 * session.run, decide per text, send all escalated texts to the teacher in ONE call, merge, explain.
 * A model with no student yet (created from a label set) sends every text to its teacher instead
 * (teacher-only.ts).
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

/** The model version that answered, as the response, the records and the metrics name it. */
export interface ServedModel {
  name: string;
  /** The student's version, or NO_STUDENT_VERSION while the model has none. */
  version: string;
  labels: readonly string[];
  /** How a text is normalised into its record id and teacher cache key. */
  normalization: Pick<FeaturizerConfig, "normalization" | "lowercase">;
}

/** What the cascade decided for each text of a request, for the hard-example log. */
export interface AnsweredTexts {
  model: ServedModel;
  texts: readonly string[];
  /** The student's verdicts; null when the model has no student (every text went to the teacher). */
  verdicts: readonly StudentVerdict[] | null;
  /** What the teacher contributed per text; "not_asked" for the student's confident answers. */
  slots: readonly TeacherSlot[];
  mode: TeacherMode;
  /** The teacher that answered for the model (its protocol goes into the records). */
  teacher: ModelTeacher;
  /** Asks the teacher about some of the texts exactly as escalation does (same port, query, checks). */
  askTeacher(indices: readonly number[]): Promise<TeacherSlot[]>;
}

export interface ClassifyDeps {
  registry: ModelSet;
  /** The teacher of a model: its own (definition), else the gateway's default. */
  teacherFor: TeacherResolver;
}

export interface ClassifyOutcome {
  model: ServedModel;
  /** The student's manifest and verdicts; both null when the model has no student yet. */
  manifest: ModelManifest | null;
  verdicts: StudentVerdict[] | null;
  results: ClassifyResult[];
  /** What the teacher contributed per text ("not_asked" for the student's confident answers). */
  slots: readonly TeacherSlot[];
  teacher: ModelTeacher;
  /** For telemetry (src/gateway/metrics): the student's run, and the teacher call if there was one. */
  timings: { studentMs: number; teacherMs: number | null };
}

export function servedModel(manifest: ModelManifest): ServedModel {
  return {
    name: manifest.name,
    version: manifest.version,
    labels: manifest.labels,
    normalization: {
      normalization: manifest.featurizer.normalization,
      lowercase: manifest.featurizer.lowercase,
    },
  };
}

/** A model with no student, as it is served: by its teacher, over its definition's labels. */
function teacherOnlyModel(registry: ModelSet, name: string): ServedModel {
  return {
    name,
    version: NO_STUDENT_VERSION,
    labels: registry.labels(name),
    normalization: NO_STUDENT_NORMALIZATION,
  };
}

/** Asks the model's teacher about texts[indices]; the answers are checked against the model's labels. */
export function teacherAsker(
  teacher: ModelTeacher,
  model: ServedModel,
  texts: readonly string[],
  options: Pick<ClassifyOptions, "teacherText" | "waitUntil">,
) {
  const teacherText = options.teacherText ?? ((text: string) => text);
  return async (indices: readonly number[]): Promise<TeacherSlot[]> => {
    const outcome = await teacher.port.ask(
      {
        model: teacher.model,
        labels: model.labels,
        texts: indices.map((i) => teacherText(texts[i]!)),
        // Cached answers are keyed by model, version and the text normalised as the featuriser does.
        cache: { model: model.name, version: model.version, normalization: model.normalization },
      },
      options.waitUntil ? { waitUntil: options.waitUntil } : {},
    );
    return teacherSlots(outcome, indices.length, model.labels);
  };
}

export async function classifyTexts(
  deps: ClassifyDeps,
  modelName: string,
  texts: readonly string[],
  options: ClassifyOptions,
): Promise<ClassifyOutcome> {
  const teacher = deps.teacherFor(modelName, deps.registry.definition(modelName));
  if (!deps.registry.hasStudent(modelName)) {
    const model = teacherOnlyModel(deps.registry, modelName);
    if (options.explain)
      throw new ApiError(409, "no_student", `model "${modelName}" has no student yet: explain needs one`);
    if (options.teacher === "never")
      throw new ApiError(
        409,
        "no_student",
        `model "${modelName}" has no student yet: only its teacher can answer (teacher "never")`,
      );
    const ask = teacherAsker(teacher, model, texts, options);
    const answered = await answerFromTeacher(ask, texts.length, teacher);
    options.onAnswered?.({
      model,
      texts,
      verdicts: null,
      slots: answered.slots,
      mode: options.teacher,
      teacher,
      askTeacher: ask,
    });
    return {
      model,
      manifest: null,
      verdicts: null,
      results: answered.results,
      slots: answered.slots,
      teacher,
      timings: { studentMs: 0, teacherMs: answered.teacherMs },
    };
  }

  const loaded = await deps.registry.load(modelName);
  const { manifest } = loaded;
  const model = servedModel(manifest);
  // Explanations need the n-gram behind each id; featurizeNamed yields the very same ids.
  const named: NamedFeatures[] | null = options.explain
    ? texts.map((t) => featurizeNamed(t, manifest.featurizer))
    : null;
  const bags = named ? named.map((f) => f.ids) : texts.map((t) => featurize(t, manifest.featurizer));
  const studentStarted = now();
  const rows = await loaded.logits(bags);
  const studentMs = now() - studentStarted;
  const verdicts = rows.map((row) => studentVerdict(row, manifest));

  const threshold = effectiveThreshold(manifest, options.threshold);
  const escalated: number[] = [];
  verdicts.forEach((v, i) => {
    if (shouldAskTeacher(options.teacher, v.score, threshold)) escalated.push(i);
  });
  const slots: TeacherSlot[] = verdicts.map(() => ({ kind: "not_asked" }));
  const askTeacher = teacherAsker(teacher, model, texts, options);
  let teacherMs: number | null = null;
  if (escalated.length > 0) {
    const teacherStarted = now();
    const answered = await askTeacher(escalated);
    teacherMs = now() - teacherStarted;
    answered.forEach((slot, j) => {
      slots[escalated[j]!] = slot;
    });
  }
  options.onAnswered?.({ model, texts, verdicts, slots, mode: options.teacher, teacher, askTeacher });

  const results = verdicts.map((v, i) => combine(v, slots[i]!));
  if (named) {
    const members = deps.registry.weights(modelName);
    results.forEach((result, i) => {
      const classIndex = manifest.labels.indexOf(result.label);
      result.explanation = topFeatures(explain(members, named[i]!, classIndex));
    });
  }
  return { model, manifest, verdicts, results, slots, teacher, timings: { studentMs, teacherMs } };
}
