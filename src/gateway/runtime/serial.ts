/**
 * Runs async tasks one at a time, in call order. onnxruntime-web's `run` reserves space on the shared
 * emscripten stack and then awaits before it releases it, and nothing in the library promises that two
 * runs interleaved on one session at those awaits are safe. A 40-way concurrent test showed no corruption,
 * but queueing is free: the inference itself is synchronous WASM on the isolate's single thread, so two
 * runs never overlap in time anyway. The queue only removes the interleaving of their bookkeeping.
 */
export type Serial = <T>(task: () => Promise<T>) => Promise<T>;

export function createSerial(): Serial {
  let tail: Promise<unknown> = Promise.resolve();
  return <T>(task: () => Promise<T>): Promise<T> => {
    const result = tail.then(task);
    // The next task waits for this one to settle, whether it resolved or failed.
    tail = result.catch(() => undefined);
    return result;
  };
}
