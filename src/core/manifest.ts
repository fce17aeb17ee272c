import { z } from "zod";
import { LearnedDeferral } from "./deferral.ts";
import { FeaturizerConfig } from "./featurizer.ts";
import { ScoreKind } from "./scores.ts";

/** The ONNX graph a package ships and how to feed it (see src/distill/onnx for the writer). */
export const OnnxSpec = z
  .object({
    file: z.string().min(1),
    bytes: z.number().int().positive(),
    sha256: z.string().regex(/^[0-9a-f]{64}$/),
    /** ids: int32 [batch, length]; weights: float32 [batch, length] (1/n per real id, 0 for padding). */
    inputs: z.object({ ids: z.string(), weights: z.string() }).strict(),
    /** float32 [batch, classes]: logits of a single model, log of the mean probabilities of an ensemble. */
    output: z.string(),
    architecture: z
      .object({
        buckets: z.number().int().positive(),
        dim: z.number().int().positive(),
        hidden: z.number().int().min(0),
        classes: z.number().int().min(2),
        members: z.number().int().min(1),
        embeddingDtype: z.enum(["float32", "float16", "int8"]),
      })
      .strict(),
  })
  .strict();
export type OnnxSpec = z.infer<typeof OnnxSpec>;

const Rate = z.number().min(0).max(1);

/**
 * What the threshold was fitted to: a teacher rate, a retention of the (local) teacher's accuracy on
 * gold labels, or agreement with the (remote) teacher's own answers on its held-out logged records.
 */
export const RoutingTarget = z
  .object({ kind: z.enum(["teacher_rate", "retention", "agreement"]), value: Rate })
  .strict();
export type RoutingTarget = z.infer<typeof RoutingTarget>;

const RoutingFields = {
  /** Answers whose score is below this go to the teacher. */
  threshold: z.number(),
  target: RoutingTarget,
  /**
   * What the threshold gave on the split it was chosen on. Fitted on teacher answers, accuracy is
   * agreement with the teacher (so retention equals it: the teacher always agrees with itself).
   */
  validation: z.object({ teacher_rate: Rate, accuracy: Rate, retention: z.number().min(0) }).strict(),
};

/**
 * The routing rule: a score kind of core/scores.ts and its threshold, or a learned deferral
 * (core/deferral.ts) whose confidence 1 − P(disagree) is compared with the threshold the same way.
 */
export const RoutingSpec = z.discriminatedUnion("score", [
  z.object({ score: ScoreKind, ...RoutingFields }).strict(),
  z.object({ score: z.literal("learned"), deferral: LearnedDeferral, ...RoutingFields }).strict(),
]);
export type RoutingSpec = z.infer<typeof RoutingSpec>;

/** A 95% interval [lo, hi] of a rate. */
const Interval = z.tuple([Rate, Rate]);

const ClassifierScores = z
  .object({ accuracy: Rate, in_scope_accuracy: Rate, oos_recall: Rate.nullable() })
  .strict();

/** models/<name>/teacher/manifest.json: what the local teacher server needs to serve the teacher. */
export const TeacherManifest = z
  .object({
    name: z.string().min(1),
    version: z.string().min(1),
    role: z.literal("teacher"),
    task: z.literal("text-classification"),
    labels: z.array(z.string().min(1)).min(2),
    featurizer: FeaturizerConfig,
    onnx: OnnxSpec,
  })
  .strict()
  .refine(
    (m) => m.onnx.architecture.classes === m.labels.length,
    "onnx.architecture.classes must equal labels.length",
  );
export type TeacherManifest = z.infer<typeof TeacherManifest>;

/** models/<name>/manifest.json (contract): the student package the gateway serves. */
export const ModelManifest = z
  .object({
    name: z.string().regex(/^[a-z0-9][a-z0-9-]{0,63}$/),
    version: z.string().regex(/^[0-9A-Za-z][0-9A-Za-z.+-]{0,63}$/),
    role: z.literal("student"),
    task: z.literal("text-classification"),
    labels: z.array(z.string().min(1)).min(2),
    /** Label that means "none of the above", if the data set has one. */
    outOfScopeLabel: z.string().nullable(),
    featurizer: FeaturizerConfig,
    onnx: OnnxSpec,
    calibration: z
      .object({ method: z.literal("temperature"), temperature: z.number().positive(), fittedOn: z.string() })
      .strict(),
    routing: RoutingSpec,
    evaluation: z
      .object({
        split: z.string(),
        n: z.number().int().nonnegative(),
        teacher: ClassifierScores,
        student: ClassifierScores.extend({ ece: Rate, ece_uncalibrated: Rate }),
        cascade: z.object({ teacher_rate: Rate, accuracy: Rate, retention: z.number().min(0) }).strict(),
        /**
         * On logged records (a student learnt from a remote teacher's answers): every figure above is
         * weighted by 1 / P(logged), and these are its headline ones' 95% Wilson intervals on the Kish
         * effective sample size. Absent when the split is labelled data (every example weighs 1).
         */
        weighting: z
          .object({
            by: z.literal("inverse_logged_p"),
            effective_n: z.number().nonnegative(),
            interval: z.literal("wilson-kish-95"),
            teacher_rate: Interval,
            cascade_accuracy: Interval,
            student_accuracy: Interval,
          })
          .strict()
          .optional(),
      })
      .strict(),
    training: z
      .object({
        dataset: z.string(),
        sizes: z.object({ train: z.number().int(), val: z.number().int(), test: z.number().int() }).strict(),
        seed: z.number().int(),
        distillation: z.object({ temperature: z.number().positive(), alpha: Rate }).strict(),
        createdAt: z.string(),
      })
      .passthrough(),
  })
  .strict()
  .refine(
    (m) => m.onnx.architecture.classes === m.labels.length,
    "onnx.architecture.classes must equal labels.length",
  );
export type ModelManifest = z.infer<typeof ModelManifest>;
