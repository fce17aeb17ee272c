import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort, type Stack, type StackOptions, startStack } from "../../src/stack.ts";
import type { TeacherServerOptions } from "../../src/teacher-server/server.ts";

/** An end-to-end test's stack: everything but the ports, the state directory and where output goes. */
export type FreshStackOptions = Omit<StackOptions, "port" | "teacher" | "persistTo" | "stdio"> & {
  teacher?: Omit<TeacherServerOptions, "port">;
};

export interface FreshStack {
  stack: Stack;
  /** A temporary directory of the test's own, removed by stop. */
  dir: string;
  /** wrangler's local state (D1, R2, KV, queues) inside `dir`, empty at the start. */
  state: string;
  /** Stops the stack and removes `dir`. */
  stop(): Promise<void>;
}

/**
 * The stack as `npm start` runs it, on free ports, with fresh local state in a new temporary directory
 * (so the test sees no earlier hard examples, keys or versions); wrangler's output shown with E2E_VERBOSE.
 */
export async function startFreshStack(name: string, options: FreshStackOptions = {}): Promise<FreshStack> {
  const dir = await mkdtemp(join(tmpdir(), `apprentice-${name}-`));
  const state = join(dir, "state");
  const { teacher, ...rest } = options;
  try {
    const stack = await startStack({
      ...rest,
      port: await freePort(),
      teacher: { ...teacher, port: await freePort() },
      persistTo: state,
      stdio: process.env.E2E_VERBOSE ? "inherit" : "ignore",
    });
    const stop = async () => {
      await stack.stop();
      await rm(dir, { recursive: true, force: true });
    };
    return { stack, dir, state, stop };
  } catch (error) {
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
}
