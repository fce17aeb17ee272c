import { z } from "zod";
import { ApiError } from "../errors.ts";
import type { BudgetBindings } from "./bindings.ts";
import type { WindowUsage } from "./ledger.ts";
import { type BudgetLimits, isLimited } from "./limits.ts";

/** The teacher budget in GET /admin/stats: the model's counter, read live (global, exact). */

/** Client keys listed, busiest first. */
const TOP_CLIENTS = 20;

const Count = z.number().int().nonnegative();
const Limit = Count.nullable().meta({ description: "null: no limit" });

const WindowStats = z.strictObject({
  limit: Limit,
  used: Count.meta({ description: "Texts sent to the teacher in the window" }),
  refused: Count.meta({ description: "Texts refused the teacher because the budget was spent" }),
  resets_at: z.iso.datetime().meta({ description: "When the window ends (UTC)" }),
});
const ClientCounts = z.strictObject({ used: Count, refused: Count });

export const BudgetStats = z
  .strictObject({
    limits: z.strictObject({
      per_hour: Limit,
      per_day: Limit,
      per_client_per_hour: Limit,
      per_client_per_day: Limit,
    }),
    hour: WindowStats,
    day: WindowStats,
    clients: z
      .array(z.strictObject({ client: z.string(), hour: ClientCounts, day: ClientCounts }))
      .meta({ description: `Client keys (API key ids) by texts sent today, at most ${TOP_CLIENTS}` }),
  })
  .nullable()
  .meta({
    description:
      "The model's teacher budget in the current UTC hour and day, across every isolate; null when it has none",
  });
export type BudgetStats = z.infer<typeof BudgetStats>;

const windowStats = (w: WindowUsage) => ({
  limit: w.limit,
  used: w.used,
  refused: w.refused,
  resets_at: new Date(w.resetsAt).toISOString(),
});

export async function readBudgetStats(
  bindings: BudgetBindings,
  model: string,
  limits: BudgetLimits,
  now = Date.now(),
): Promise<BudgetStats> {
  if (!isLimited(limits)) return null;
  const namespace = bindings.TEACHER_BUDGET;
  if (!namespace)
    throw new ApiError(
      503,
      "not_configured",
      "the teacher budget is set but its counter is not bound: bind the Durable Object TEACHER_BUDGET",
    );
  const stub = namespace.get(namespace.idFromName(model));
  const { usage, clients } = await stub.usage({
    limits: { perHour: limits.perHour, perDay: limits.perDay },
    now,
    top: TOP_CLIENTS,
  });
  return {
    limits: {
      per_hour: limits.perHour,
      per_day: limits.perDay,
      per_client_per_hour: limits.perClientPerHour,
      per_client_per_day: limits.perClientPerDay,
    },
    hour: windowStats(usage.hour),
    day: windowStats(usage.day),
    clients: clients.map(({ client, hour, day }) => ({ client, hour, day })),
  };
}
