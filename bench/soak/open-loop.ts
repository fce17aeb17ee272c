/**
 * An open-loop load generator: request i is sent at start + i / rate, whether or not earlier requests
 * have been answered, so a slow gateway meets the same offered load rather than a politely slowed one
 * (a closed loop would hide queueing). Latency is measured from the scheduled time, so a late send
 * counts against the gateway too (no coordinated omission).
 */
export interface Clock {
  now(): number;
  sleep(ms: number): Promise<void>;
}

const realClock: Clock = {
  now: () => performance.now(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
};

export interface OpenLoopOptions<T> {
  ratePerS: number;
  durationS: number;
  /** Sends request i; `scheduledAt` is its due time on the clock. Must not throw (return the failure). */
  send: (i: number, scheduledAt: number) => Promise<T>;
  clock?: Clock;
}

export interface OpenLoopRun<T> {
  results: T[];
  /** How late the generator was in sending, at worst (ms): a large value means the client was the bottleneck. */
  maxSendLagMs: number;
}

/** How many requests a run sends. */
export function requestCount(ratePerS: number, durationS: number): number {
  if (!(ratePerS > 0) || !(durationS > 0)) throw new Error("rate and duration must be positive");
  return Math.floor(ratePerS * durationS);
}

/** Sends every request on schedule, then waits for all the answers. */
export async function openLoop<T>(options: OpenLoopOptions<T>): Promise<OpenLoopRun<T>> {
  const clock = options.clock ?? realClock;
  const total = requestCount(options.ratePerS, options.durationS);
  const interval = 1000 / options.ratePerS;
  const start = clock.now();
  const pending: Promise<T>[] = [];
  let maxSendLagMs = 0;
  for (let i = 0; i < total; i++) {
    const due = start + i * interval;
    const wait = due - clock.now();
    if (wait > 0) await clock.sleep(wait);
    maxSendLagMs = Math.max(maxSendLagMs, clock.now() - due);
    pending.push(options.send(i, due));
  }
  return { results: await Promise.all(pending), maxSendLagMs };
}
