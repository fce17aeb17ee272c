import { setTimeout as sleep } from "node:timers/promises";
import type { Stack } from "../../src/stack.ts";

/**
 * Takes the teacher down and brings it back on a fixed rhythm (up `upMs`, down `downMs`, …) until the
 * signal aborts, then leaves it up. `state.up` is what requests record as the teacher's state when sent:
 * false from the moment the stop begins until the restart has finished.
 */
export interface FlapState {
  up: boolean;
}

export interface FlapRecord {
  /** Down windows, seconds from the flapping's start. */
  downs: { fromS: number; toS: number }[];
}

export async function flapTeacher(
  stack: Pick<Stack, "stopTeacher" | "restartTeacher">,
  options: { upMs: number; downMs: number; signal: AbortSignal },
  state: FlapState,
): Promise<FlapRecord> {
  const started = performance.now();
  const at = () => (performance.now() - started) / 1000;
  const downs: FlapRecord["downs"] = [];
  const wait = (ms: number) =>
    sleep(ms, undefined, { signal: options.signal }).then(
      () => true,
      () => false, // aborted: the load is over
    );
  while (!options.signal.aborted) {
    if (!(await wait(options.upMs))) break;
    state.up = false;
    const fromS = at();
    await stack.stopTeacher();
    await wait(options.downMs);
    await stack.restartTeacher();
    state.up = true;
    downs.push({ fromS, toS: at() });
  }
  return { downs };
}
