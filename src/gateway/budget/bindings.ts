import type { TeacherBudget } from "./counter.ts";

/** wrangler.toml [[durable_objects.bindings]]: the teacher budgets' counters, one object per model. */
export interface BudgetBindings {
  TEACHER_BUDGET?: DurableObjectNamespace<TeacherBudget>;
}
