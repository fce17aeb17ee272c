/**
 * `promise`'s value if it settles within `turns` promise reactions (microtasks), run back to back so no
 * task of the event loop (a timer, I/O, a platform task such as WebAssembly.instantiate's) can run in
 * between; throws "still pending" otherwise. What module scope can finish in workerd, where an isolate
 * runs tasks only for a request.
 */
export async function settledWithinReactions<T>(promise: Promise<T>, turns: number): Promise<T> {
  let settled: { value: T } | { error: unknown } | null = null;
  promise.then(
    (value) => {
      settled = { value };
    },
    (error: unknown) => {
      settled = { error };
    },
  );
  for (let i = 0; i < turns && settled === null; i++) await null;
  const outcome = settled as { value: T } | { error: unknown } | null;
  if (outcome === null) throw new Error(`still pending after ${turns} promise reactions`);
  if ("error" in outcome) throw outcome.error;
  return outcome.value;
}
