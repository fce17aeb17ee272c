import { setTimeout as sleep } from "node:timers/promises";
import { mulberry32 } from "../core/random.ts";
import { HttpError } from "./http.ts";

/**
 * Makes the local teacher behave like a remote model: a fixed delay before every inference answer
 * (`--latency-ms`) and a share of inference requests answered with 503 (`--fail-rate`). Failures come
 * from a seeded generator, one draw per inference request in arrival order, so a test that sends the
 * same requests in the same order sees the same failures.
 */
export interface ChaosOptions {
  latencyMs: number;
  failRate: number;
  seed: number;
}

export class Chaos {
  private readonly draw: () => number;

  constructor(private readonly options: ChaosOptions) {
    this.draw = mulberry32(options.seed);
  }

  /**
   * Called by inference handlers after the request is validated (bad requests are answered at once,
   * like a real server would) and before the model runs. The delay comes first, so a simulated
   * failure is as slow as a real answer, as a timed-out upstream would be.
   */
  async beforeInference(): Promise<void> {
    if (this.options.latencyMs > 0) await sleep(this.options.latencyMs);
    // Always draw, even at rate 0 or 1, so the sequence does not depend on the rate.
    const roll = this.draw();
    if (roll < this.options.failRate) {
      throw new HttpError(
        503,
        `teacher unavailable (simulated failure, fail rate ${this.options.failRate})`,
        "service_unavailable",
        null,
        { "retry-after": "1" },
      );
    }
  }
}
