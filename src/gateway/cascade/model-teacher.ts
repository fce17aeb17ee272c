import type { Env } from "../bindings.ts";
import { budgetGate } from "../budget/gate.ts";
import { type BudgetLimits, isLimited, limitsFor } from "../budget/limits.ts";
import type { GatewayConfig } from "../config.ts";
import { redactingTeacher } from "../privacy/teacher.ts";
import type { ModelDefinition } from "../registry/model-definition.ts";
import { teacherModelFor } from "../teacher-client/config.ts";
import { clientForSpec, secretOf } from "../teacher-client/per-spec.ts";
import type { BudgetGate } from "../teacher-client/types.ts";
import type { TeacherPort } from "./port.ts";

/**
 * Which teacher answers for a model: the one its definition names (registry/model-definition.ts), else
 * the gateway's default (TEACHER_* variables, or the port the app was built with).
 */
export interface ModelTeacher {
  port: TeacherPort;
  /** Model id on the teacher's side. */
  model: string;
  /** Wire protocol, as hard-example records carry it. */
  protocol: string;
  /** USD per call, for the money-spent and money-saved figures. */
  pricePerCall: number;
  /** How long its open breaker refuses calls: the Retry-After of a model with no student. */
  breakerCooldownMs: number;
  /** Set when the model's own teacher cannot work as configured (its secret is not set). */
  warning: string | null;
  /** The model's teacher budget (its definition's over TEACHER_BUDGET_*). */
  limits: BudgetLimits;
  /** The budget gate of one client's calls (its API key id); null when the model has no budget. */
  budgetFor: ((client?: string) => BudgetGate) | null;
}

export type TeacherResolver = (name: string, definition: ModelDefinition | null) => ModelTeacher;

/** `fallback` is the default teacher's port, already wrapped for REDACTION by the app. */
export function teacherResolver(env: Env, config: GatewayConfig, fallback: TeacherPort): TeacherResolver {
  return (name, definition) => {
    const limits = limitsFor(definition?.budget, config.budget);
    const budget = {
      limits,
      budgetFor: isLimited(limits)
        ? (client?: string) => budgetGate(env, { model: name, limits, ...(client ? { client } : {}) })
        : null,
    };
    const spec = definition?.teacher;
    if (!spec)
      return {
        ...budget,
        port: fallback,
        model: teacherModelFor(config.teacher, name),
        protocol: config.teacher.TEACHER_PROTOCOL,
        pricePerCall: config.costs.teacherPricePerCall,
        breakerCooldownMs: config.teacher.BREAKER_COOLDOWN_MS,
        warning: null,
      };
    const unset = spec.secret !== undefined && secretOf(env, spec.secret) === undefined;
    return {
      ...budget,
      // What the teacher may see of a text is REDACTION's to say, whoever the teacher is.
      port: redactingTeacher(clientForSpec(spec, config.teacher, env), config.redaction),
      model: spec.model ?? name,
      protocol: spec.protocol,
      pricePerCall: spec.pricePerCall ?? config.costs.teacherPricePerCall,
      breakerCooldownMs: config.teacher.BREAKER_COOLDOWN_MS,
      warning: unset
        ? `the teacher's secret ${spec.secret} is not set: its calls fail as not_configured`
        : null,
    };
  };
}
