import { join } from "node:path";
import {
  DISTILL_DEFAULTS,
  type DistillOptions,
  type ModelRecipe,
  STUDENT_RECIPE,
  TEACHER_RECIPE,
} from "../pipeline/config.ts";
import { numberFlag, stringFlag, UsageError } from "./args.ts";

type Flags = Record<string, string | boolean | undefined>;

/** Flags of the training recipe, shared by a full distillation and a re-distillation from a gateway. */
export const RECIPE_FLAGS = {
  name: { type: "string" },
  out: { type: "string" },
  version: { type: "string" },
  "target-teacher-rate": { type: "string" },
  "target-retention": { type: "string" },
  "kd-temperature": { type: "string" },
  "kd-alpha": { type: "string" },
  augment: { type: "string" },
  "teacher-dtype": { type: "string" },
  "student-dtype": { type: "string" },
  "teacher-bits": { type: "string" },
  "student-bits": { type: "string" },
  "oos-max-in-scope-drop": { type: "string" },
  "teacher-members": { type: "string" },
  "teacher-dim": { type: "string" },
  "teacher-buckets": { type: "string" },
  "teacher-epochs": { type: "string" },
  "teacher-label-smoothing": { type: "string" },
  "student-dim": { type: "string" },
  "student-buckets": { type: "string" },
  "student-epochs": { type: "string" },
} as const;

function recipe(flags: Flags, prefix: string, base: ModelRecipe): ModelRecipe {
  const pick = (flag: string, fallback: number) => numberFlag(flags, `${prefix}-${flag}`) ?? fallback;
  return {
    ...base,
    members: pick("members", base.members),
    dim: pick("dim", base.dim),
    buckets: pick("buckets", base.buckets),
    epochs: pick("epochs", base.epochs),
    labelSmoothing: pick("label-smoothing", base.labelSmoothing),
    embeddingDtype: dtypeFlag(flags, `${prefix}-dtype`) ?? base.embeddingDtype,
    ...bitsOf(numberFlag(flags, `${prefix}-bits`) ?? base.embeddingBits, `${prefix}-bits`),
  };
}

function bitsOf(bits: number | undefined, name: string): Pick<ModelRecipe, "embeddingBits"> {
  if (bits === undefined) return {};
  if (!Number.isInteger(bits) || bits < 2 || bits > 8) throw new UsageError(`--${name} must be 2..8`);
  return { embeddingBits: bits };
}

function dtypeFlag(flags: Flags, name: string): ModelRecipe["embeddingDtype"] | undefined {
  const v = stringFlag(flags, name);
  if (v === undefined) return undefined;
  if (v !== "float32" && v !== "float16" && v !== "int8")
    throw new UsageError(`--${name} must be float32, float16 or int8`);
  return v;
}

/**
 * The name and the recipe flags as DistillOptions (out defaults to models/<name>); `student` is the
 * recipe the student flags amend (ANSWERS_STUDENT_RECIPE when re-distilling from a gateway).
 */
export function distillOptions(flags: Flags, seed: number, student = STUDENT_RECIPE): DistillOptions {
  const name = stringFlag(flags, "name");
  if (!name) throw new UsageError("--name is required");
  const rate = numberFlag(flags, "target-teacher-rate");
  const retention = numberFlag(flags, "target-retention");
  if (rate !== undefined && retention !== undefined)
    throw new UsageError("give --target-teacher-rate or --target-retention, not both");
  const target =
    retention !== undefined
      ? { kind: "retention" as const, value: retention }
      : { kind: "teacher_rate" as const, value: rate ?? DISTILL_DEFAULTS.target.value };
  if (!(target.value > 0 && target.value <= 1)) throw new UsageError("routing targets are shares in (0, 1]");
  return {
    name,
    out: stringFlag(flags, "out") ?? join("models", name),
    seed,
    teacher: recipe(flags, "teacher", TEACHER_RECIPE),
    student: recipe(flags, "student", student),
    augment: numberFlag(flags, "augment") ?? DISTILL_DEFAULTS.augment,
    kd: {
      temperature: numberFlag(flags, "kd-temperature") ?? DISTILL_DEFAULTS.kd.temperature,
      alpha: numberFlag(flags, "kd-alpha") ?? DISTILL_DEFAULTS.kd.alpha,
    },
    oosMaxInScopeDrop: numberFlag(flags, "oos-max-in-scope-drop") ?? DISTILL_DEFAULTS.oosMaxInScopeDrop,
    target,
    quiet: flags.quiet === true,
  };
}
