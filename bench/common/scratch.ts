import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort, type Stack, type StackOptions, startStack } from "../../src/stack.ts";
import type { TeacherServerOptions } from "../../src/teacher-server/server.ts";

/** A benchmark's stack: everything but what the scratch space decides (ports, state, output, patience). */
export type BenchStackOptions = Omit<
  StackOptions,
  "port" | "teacher" | "persistTo" | "stdio" | "readyTimeoutMs"
> & {
  teacher?: Omit<TeacherServerOptions, "port">;
};

/**
 * A benchmark's scratch space: a fresh temporary directory (for the stack's state, so every run starts
 * with empty D1, R2 and KV) and the stack started in it, both removed by `cleanup`, which also runs on
 * Ctrl-C and SIGTERM so an interrupted benchmark leaves no wrangler, workerd or teacher behind.
 */
export interface Scratch {
  dir: string;
  /** Starts the stack on free ports with its state in this space (wrangler's output with BENCH_VERBOSE). */
  startStack(options?: BenchStackOptions): Promise<Stack>;
  cleanup(): Promise<void>;
}

/** Runs `cleanup` before the process exits on Ctrl-C or SIGTERM. */
export function cleanupOnSignal(cleanup: () => Promise<void>): void {
  process.on("SIGINT", () => void cleanup().finally(() => process.exit(130)));
  process.on("SIGTERM", () => void cleanup().finally(() => process.exit(143)));
}

export async function scratch(name: string): Promise<Scratch> {
  const dir = await mkdtemp(join(tmpdir(), `apprentice-${name}-`));
  let stack: Stack | null = null;
  const cleanup = async () => {
    await stack?.stop();
    await rm(dir, { recursive: true, force: true });
  };
  cleanupOnSignal(cleanup);
  return {
    dir,
    startStack: async ({ teacher, ...options } = {}) => {
      stack = await startStack({
        ...options,
        port: await freePort(),
        teacher: { ...teacher, port: await freePort() },
        persistTo: join(dir, "state"),
        stdio: process.env.BENCH_VERBOSE ? "inherit" : "ignore",
        readyTimeoutMs: 120_000,
      });
      return stack;
    },
    cleanup,
  };
}

/**
 * Runs a pass/fail benchmark in its scratch space and exits: 0 if `body` passed, 1 if it failed or threw
 * (logged), after cleanup either way (explicitly, so no leftover handle keeps the process alive).
 */
export async function exitAfter(
  space: Scratch,
  log: (line: string) => void,
  body: () => Promise<boolean>,
): Promise<never> {
  let exitCode = 1;
  try {
    exitCode = (await body()) ? 0 : 1;
  } catch (error) {
    log(`failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  } finally {
    await space.cleanup();
  }
  process.exit(exitCode);
}
