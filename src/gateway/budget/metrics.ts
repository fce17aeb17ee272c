import { ISOLATE_NOTE } from "../metrics/gateway-metrics.ts";
import type { MetricFamily, Sample } from "../metrics/prometheus.ts";
import type { BudgetReading } from "./gate.ts";
import { PERIODS } from "./ledger.ts";

/**
 * The teacher budgets in GET /metrics. The window figures are global (the model's counter, as this
 * isolate last read it on a reservation); the reservation counts are this isolate's own.
 */
const LAST_SEEN =
  "The model's global budget counter in the current UTC window, as this isolate last read it (on its last reservation): stale when another isolate reserved since.";

function windowFamily(
  name: string,
  what: string,
  readings: readonly BudgetReading[],
  value: (usage: NonNullable<BudgetReading["usage"]>[(typeof PERIODS)[number]]) => number | null,
): MetricFamily {
  const samples: Sample[] = [];
  for (const { model, usage } of readings)
    for (const period of PERIODS) {
      const v = usage ? value(usage[period]) : null;
      if (v !== null)
        samples.push({
          suffix: "",
          labels: [
            ["model", model],
            ["window", period],
          ],
          value: v,
        });
    }
  return { name, help: `${what} ${LAST_SEEN} ${ISOLATE_NOTE}`, type: "gauge", samples };
}

export function budgetFamilies(readings: readonly BudgetReading[]): MetricFamily[] {
  return [
    windowFamily(
      "apprentice_teacher_budget_limit",
      "Texts the model's teacher may be sent per window (its teacher budget).",
      readings,
      (u) => u.limit,
    ),
    windowFamily(
      "apprentice_teacher_budget_used",
      "Texts sent to the model's teacher in the window.",
      readings,
      (u) => u.used,
    ),
    windowFamily(
      "apprentice_teacher_budget_refused",
      "Texts refused the teacher in the window because the budget was spent.",
      readings,
      (u) => u.refused,
    ),
    {
      name: "apprentice_teacher_budget_texts_total",
      help: `Texts this isolate asked its model's teacher budget for, by outcome (granted, refused). ${ISOLATE_NOTE}`,
      type: "counter",
      samples: readings.flatMap(({ model, granted, refused }) =>
        (
          [
            ["granted", granted],
            ["refused", refused],
          ] as const
        ).map(([outcome, value]) => ({
          suffix: "",
          labels: [
            ["model", model],
            ["outcome", outcome],
          ] as const,
          value,
        })),
      ),
    },
  ];
}
