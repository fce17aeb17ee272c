import type { BudgetGate, BudgetVerdict } from "../teacher-client/types.ts";
import type { BudgetBindings } from "./bindings.ts";
import type { Period, WindowUsage } from "./ledger.ts";
import type { BudgetLimits } from "./limits.ts";

/**
 * The Worker's side of a model's teacher budget: one reservation per teacher call, for all the texts the
 * call sends (the teacher client asks after its cache, so cached answers are free), against the model's
 * Durable Object. The gate fails closed: when the counter cannot be reached, the teacher is not called
 * and the texts are refused as `budget` — a budget is a promise about spending.
 */

/** Seconds to wait when the counter itself failed: it is not a window that has to end. */
const UNREACHABLE_RETRY_S = 5;

/** What this isolate saw of one model's budget: the last global figures, and its own reservations. */
export interface BudgetReading {
  model: string;
  usage: Record<Period, WindowUsage> | null;
  granted: number;
  refused: number;
}

// Per isolate, like the teacher breaker: /metrics reads it at scrape time.
const readings = new Map<string, BudgetReading>();

function readingOf(model: string): BudgetReading {
  let reading = readings.get(model);
  if (!reading) {
    reading = { model, usage: null, granted: 0, refused: 0 };
    readings.set(model, reading);
  }
  return reading;
}

export const budgetReadings = (): BudgetReading[] => [...readings.values()];

export interface GateTarget {
  model: string;
  limits: BudgetLimits;
  /** The client's API key id, when the request presented one. */
  client?: string;
}

export function budgetGate(bindings: BudgetBindings, target: GateTarget): BudgetGate {
  const reading = readingOf(target.model);
  const tally = (verdict: BudgetVerdict, count: number): BudgetVerdict => {
    if (verdict.granted) reading.granted += count;
    else reading.refused += count;
    return verdict;
  };
  return {
    async reserve(count) {
      const namespace = bindings.TEACHER_BUDGET;
      if (!namespace) return tally(unreachable("the TEACHER_BUDGET Durable Object is not bound"), count);
      try {
        const stub = namespace.get(namespace.idFromName(target.model));
        const result = await stub.reserve({
          count,
          limits: target.limits,
          now: Date.now(),
          ...(target.client ? { client: target.client } : {}),
        });
        reading.usage = result.usage;
        if (result.granted) return tally({ granted: true }, count);
        const windows = result.exhausted.join(" and ");
        return tally(
          {
            granted: false,
            retryAfterS: result.retryAfterS,
            message: `the teacher budget of "${target.model}" for this ${windows} is spent`,
          },
          count,
        );
      } catch (error) {
        console.warn(`teacher budget of "${target.model}": counter unreachable:`, error);
        return tally(unreachable(`the budget counter failed: ${String(error)}`), count);
      }
    },
  };
}

function unreachable(message: string): BudgetVerdict {
  return { granted: false, retryAfterS: UNREACHABLE_RETRY_S, message };
}
