import autocannon from "autocannon";

/** One autocannon run against one target, as the report keeps it. */
export interface LoadResult {
  requests: number;
  durationS: number;
  requestsPerSec: number;
  latencyMs: { p50: number; p99: number; mean: number; max: number };
  ok2xx: number;
  non2xx: number;
  errors: number;
}

export interface LoadSpec {
  url: string;
  connections: number;
  seconds: number;
  requests: autocannon.Request[];
}

export async function load(spec: LoadSpec): Promise<LoadResult> {
  const result = await autocannon({
    url: spec.url,
    connections: spec.connections,
    duration: spec.seconds,
    timeout: 10,
    requests: spec.requests,
  });
  return {
    requests: result.requests.total,
    durationS: result.duration,
    requestsPerSec: result.requests.total / result.duration,
    latencyMs: {
      p50: result.latency.p50,
      p99: result.latency.p99,
      mean: result.latency.average,
      max: result.latency.max,
    },
    ok2xx: result["2xx"],
    non2xx: result.non2xx,
    errors: result.errors,
  };
}

/** Runs of several variants interleaved round by round, so a shared machine's load falls on all alike. */
export async function interleaved<K extends string>(
  variants: Record<K, Omit<LoadSpec, "seconds" | "connections">>,
  connections: number,
  seconds: number,
  rounds: number,
): Promise<Record<K, LoadResult>> {
  const keys = Object.keys(variants) as K[];
  const runs = new Map<K, LoadResult[]>(keys.map((k) => [k, []]));
  for (let round = 0; round < rounds; round++)
    for (const key of round % 2 ? [...keys].reverse() : keys)
      runs.get(key)?.push(await load({ ...variants[key], connections, seconds }));
  return Object.fromEntries(keys.map((k) => [k, pooled(runs.get(k) ?? [])])) as Record<K, LoadResult>;
}

/** Rounds pooled: totals summed, latencies from the rounds' medians (autocannon gives no histogram). */
function pooled(runs: readonly LoadResult[]): LoadResult {
  const sum = (f: (r: LoadResult) => number) => runs.reduce((s, r) => s + f(r), 0);
  const median = (f: (r: LoadResult) => number) => {
    const xs = runs.map(f).sort((a, b) => a - b);
    return xs[xs.length >> 1] ?? Number.NaN;
  };
  const requests = sum((r) => r.requests);
  const durationS = sum((r) => r.durationS);
  return {
    requests,
    durationS,
    requestsPerSec: requests / durationS,
    latencyMs: {
      p50: median((r) => r.latencyMs.p50),
      p99: median((r) => r.latencyMs.p99),
      mean: sum((r) => r.latencyMs.mean * r.requests) / Math.max(1, requests),
      max: Math.max(...runs.map((r) => r.latencyMs.max)),
    },
    ok2xx: sum((r) => r.ok2xx),
    non2xx: sum((r) => r.non2xx),
    errors: sum((r) => r.errors),
  };
}
