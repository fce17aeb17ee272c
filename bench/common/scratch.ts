import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Stack } from "../../src/stack.ts";

/**
 * A benchmark's scratch space: a fresh temporary directory (for the stack's state, so every run starts
 * with empty D1, R2 and KV) and the stack started in it, both removed by `cleanup`, which also runs on
 * Ctrl-C and SIGTERM so an interrupted benchmark leaves no wrangler, workerd or teacher behind.
 */
export interface Scratch {
  dir: string;
  /** Hands the started stack over, to be stopped by cleanup. */
  own(stack: Stack): Stack;
  cleanup(): Promise<void>;
}

export async function scratch(name: string): Promise<Scratch> {
  const dir = await mkdtemp(join(tmpdir(), `apprentice-${name}-`));
  let stack: Stack | null = null;
  const cleanup = async () => {
    await stack?.stop();
    await rm(dir, { recursive: true, force: true });
  };
  process.on("SIGINT", () => void cleanup().finally(() => process.exit(130)));
  process.on("SIGTERM", () => void cleanup().finally(() => process.exit(143)));
  return {
    dir,
    own: (started) => {
      stack = started;
      return started;
    },
    cleanup,
  };
}
