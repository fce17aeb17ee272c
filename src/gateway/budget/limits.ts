import { z } from "zod";

/**
 * Teacher budgets: how many texts a model's teacher may be sent per UTC hour and per UTC day, in total
 * and per client key. A text served from the teacher cache is free; a text sent to the teacher counts,
 * whatever its outcome. Limits come from the model's definition (`budget`) over the gateway's
 * TEACHER_BUDGET_* defaults; no limit anywhere means no budget and no counter on the request path.
 */

/** The largest budget one window may have: far beyond any teacher, small enough for exact integers. */
export const MAX_BUDGET = 1_000_000_000;

const Limit = z.number().int().min(0, "a budget must not be negative").max(MAX_BUDGET);

/** A model definition's `budget`: a number overrides the default, null lifts it, absent keeps it. */
export const BudgetSpec = z
  .strictObject({
    perHour: Limit.nullable().optional().meta({ description: "Texts to the teacher per UTC hour" }),
    perDay: Limit.nullable().optional().meta({ description: "Texts to the teacher per UTC day" }),
    perClientPerHour: Limit.nullable()
      .optional()
      .meta({ description: "Per client key (CLIENT_AUTH=api-key) and UTC hour" }),
    perClientPerDay: Limit.nullable()
      .optional()
      .meta({ description: "Per client key (CLIENT_AUTH=api-key) and UTC day" }),
  })
  .meta({
    description:
      "Teacher budget: texts sent to the teacher per window (null: no limit; absent: the TEACHER_BUDGET_* default)",
  });
export type BudgetSpec = z.infer<typeof BudgetSpec>;

/** The limits one model runs under; null is no limit. */
export interface BudgetLimits {
  perHour: number | null;
  perDay: number | null;
  perClientPerHour: number | null;
  perClientPerDay: number | null;
}

const unset = (value: unknown) => (value === "" ? undefined : value);
const envLimit = () => z.preprocess(unset, z.coerce.number().pipe(Limit).optional());

/** The gateway-wide defaults (unset: no limit). */
export const BudgetEnvSchema = z.object({
  TEACHER_BUDGET_PER_HOUR: envLimit(),
  TEACHER_BUDGET_PER_DAY: envLimit(),
  TEACHER_BUDGET_PER_CLIENT_PER_HOUR: envLimit(),
  TEACHER_BUDGET_PER_CLIENT_PER_DAY: envLimit(),
});
export type BudgetEnv = z.output<typeof BudgetEnvSchema>;

export function defaultLimits(env: BudgetEnv): BudgetLimits {
  return {
    perHour: env.TEACHER_BUDGET_PER_HOUR ?? null,
    perDay: env.TEACHER_BUDGET_PER_DAY ?? null,
    perClientPerHour: env.TEACHER_BUDGET_PER_CLIENT_PER_HOUR ?? null,
    perClientPerDay: env.TEACHER_BUDGET_PER_CLIENT_PER_DAY ?? null,
  };
}

/** A model's limits: its definition's where it sets one (null included), the defaults elsewhere. */
export function limitsFor(spec: BudgetSpec | null | undefined, defaults: BudgetLimits): BudgetLimits {
  const pick = (key: keyof BudgetLimits) => (spec?.[key] !== undefined ? spec[key] : defaults[key]);
  return {
    perHour: pick("perHour"),
    perDay: pick("perDay"),
    perClientPerHour: pick("perClientPerHour"),
    perClientPerDay: pick("perClientPerDay"),
  };
}

/** Whether a model has any budget at all (else the teacher is never metered). */
export const isLimited = (limits: BudgetLimits): boolean => Object.values(limits).some((v) => v !== null);
