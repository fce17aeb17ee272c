import {
  type FeaturizerConfig,
  featurize,
  featurizeNamed,
  type NamedFeatures,
} from "../../core/featurizer.ts";
import type { ModelManifest } from "../../core/manifest.ts";
import { ApiError } from "../errors.ts";
import { explain, topFeatures } from "../explain/index.ts";
import type { ModelSet } from "../models/model-set.ts";
import { NO_STUDENT_NORMALIZATION, NO_STUDENT_VERSION } from "../registry/model-definition.ts";
import type { ClassifyResult } from "../schemas/classify.ts";
import { ALL_STAGES_ON, type StageSwitch } from "../stages.ts";
import type { AskOptions } from "../teacher-client/types.ts";
import { combine, type TeacherSlot, teacherSlots } from "./answer.ts";
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
/** How one query asks: the port's options (the request's ctx.waitUntil), and whose answer cache it uses. */
export interface AskAs extends AskOptions {
  /** The client's API key id: its teacher answers are cached apart from every other client's. */
  client?: string;
}

export interface ClassifyOptions extends AskAs {
  threshold?: number;
  teacher: TeacherMode;
  explain: boolean;
  /** Stages the HTTP benchmark replays (stages.ts); all on unless given. */
  stages?: StageSwitch;
}

/** How the cascade reaches a model's teacher: its own (definition), else the gateway's default. */
export interface TeacherDeps {
  teacherFor: TeacherResolver;
}

export interface ClassifyDeps extends TeacherDeps {
  registry: ModelSet;
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

/** What the cascade decided for every text of a request, in request order. */
export interface ClassifyOutcome {
  model: ServedModel;
  /** The student's manifest; null while the model has no student (its teacher answered every text). */
  manifest: ModelManifest | null;
  /** The texts as the client sent them. */
  texts: readonly string[];
  mode: TeacherMode;
  /** The student's verdicts; null while the model has no student. */
  verdicts: StudentVerdict[] | null;
  /** What the teacher contributed per text; "not_asked" for the student's confident answers. */
  slots: TeacherSlot[];
  results: ClassifyResult[];
  /** The model's teacher (its protocol goes into the records, its price into the money figures). */
  teacher: ModelTeacher;
  /** The student's one run, and the teacher call if there was one, in ms. */
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
export function teacherOnlyModel(registry: ModelSet, name: string): ServedModel {
  return {
    name,
    version: NO_STUDENT_VERSION,
    labels: registry.labels(name),
    normalization: NO_STUDENT_NORMALIZATION,
  };
}

/**
 * Asks a model's teacher about texts: one query through its port (answers cached per client, model,
 * version and text normalised as the featuriser does), its outcome checked against the model's labels.
 * Escalation, a model with no student and the hard-example log's audit sample all ask this way, so the
 * model's teacher budget (../budget) meters all three.
 */
export async function askTeacher(
  teacher: ModelTeacher,
  model: ServedModel,
  texts: readonly string[],
  options: AskAs = {},
): Promise<TeacherSlot[]> {
  const { name, version, normalization } = model;
  const budget = teacher.budgetFor?.(options.client);
  const outcome = await teacher.port.ask(
    {
      model: teacher.model,
      labels: model.labels,
      texts,
      cache: { model: name, version, normalization, ...(options.client ? { client: options.client } : {}) },
    },
    {
      ...(options.waitUntil ? { waitUntil: options.waitUntil } : {}),
      ...(budget ? { budget } : {}),
    },
  );
  return teacherSlots(outcome, texts.length, model.labels);
}

/** The student's verdict per text, and which texts go to the teacher. */
function route(
  rows: readonly Float32Array[],
  manifest: ModelManifest,
  options: ClassifyOptions,
): { verdicts: StudentVerdict[]; escalated: number[] } {
  const verdicts = rows.map((row) => studentVerdict(row, manifest));
  const threshold = effectiveThreshold(manifest, options.threshold);
  const escalated: number[] = [];
  verdicts.forEach((v, i) => {
    if (shouldAskTeacher(options.teacher, v.score, threshold)) escalated.push(i);
  });
  return { verdicts, escalated };
}

export async function classifyTexts(
  deps: ClassifyDeps,
  modelName: string,
  texts: readonly string[],
  options: ClassifyOptions,
): Promise<ClassifyOutcome> {
  const teacher = deps.teacherFor(modelName, deps.registry.definition(modelName));
  if (!deps.registry.hasStudent(modelName))
    return classifyWithTeacher(deps, teacher, modelName, texts, options);

  const loaded = await deps.registry.load(modelName);
  const { manifest } = loaded;
  // Before the student runs and the teacher is asked: a graph that cannot explain is refused (400).
  const members = options.explain ? deps.registry.weights(modelName) : null;
  const model = servedModel(manifest);
  // Explanations need the n-gram behind each id; featurizeNamed yields the very same ids.
  const named: NamedFeatures[] | null = options.explain
    ? texts.map((t) => featurizeNamed(t, manifest.featurizer))
    : null;
  const stages = options.stages ?? ALL_STAGES_ON;
  const bags = named
    ? named.map((f) => f.ids)
    : texts.map((t) =>
        stages.replay(
          "featurise",
          () => t,
          () => featurize(t, manifest.featurizer),
        ),
      );
  // workerd's clock is coarse (1 ms locally; in production it advances only on I/O, a guard against
  // timing attacks), so a short run can read as 0 ms: the figures are honest about that, not precise.
  const studentStarted = performance.now();
  const rows = await stages.replay(
    "inference",
    () => texts.join("\u0000"),
    () => loaded.logits(bags),
  );
  const studentMs = performance.now() - studentStarted;
  const { verdicts, escalated } = stages.replay(
    "routing",
    () => texts.join("\u0000"),
    () => route(rows, manifest, options),
  );
  const slots: TeacherSlot[] = verdicts.map(() => ({ kind: "not_asked" }));
  let teacherMs: number | null = null;
  if (escalated.length > 0) {
    const teacherStarted = performance.now();
    const answered = await askTeacher(
      teacher,
      model,
      escalated.map((i) => texts[i]!),
      options,
    );
    teacherMs = performance.now() - teacherStarted;
    answered.forEach((slot, j) => {
      slots[escalated[j]!] = slot;
    });
  }

  const results = verdicts.map((v, i) => combine(v, slots[i]!));
  if (named && members) {
    results.forEach((result, i) => {
      const classIndex = manifest.labels.indexOf(result.label);
      result.explanation = topFeatures(explain(members, named[i]!, classIndex));
    });
  }
  return {
    model,
    manifest,
    texts,
    mode: options.teacher,
    verdicts,
    slots,
    results,
    teacher,
    timings: { studentMs, teacherMs },
  };
}

/** A model with no student yet: its teacher answers every text, or the request is refused. */
async function classifyWithTeacher(
  deps: ClassifyDeps,
  teacher: ModelTeacher,
  modelName: string,
  texts: readonly string[],
  options: ClassifyOptions,
): Promise<ClassifyOutcome> {
  const model = teacherOnlyModel(deps.registry, modelName);
  if (options.explain)
    throw new ApiError(409, "no_student", `model "${modelName}" has no student yet: explain needs one`);
  if (options.teacher === "never")
    throw new ApiError(
      409,
      "no_student",
      `model "${modelName}" has no student yet: only its teacher can answer (teacher "never")`,
    );
  const answered = await answerFromTeacher(
    (indices) =>
      askTeacher(
        teacher,
        model,
        indices.map((i) => texts[i]!),
        options,
      ),
    texts.length,
    teacher,
  );
  return {
    model,
    manifest: null,
    texts,
    mode: options.teacher,
    verdicts: null,
    slots: answered.slots,
    results: answered.results,
    teacher,
    timings: { studentMs: 0, teacherMs: answered.teacherMs },
  };
}
