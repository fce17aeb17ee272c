import { type ChildProcess, spawn } from "node:child_process";

/** `npm run loop -- --gateway URL --name MODEL --once ARGS` as a child process, its log on stderr. */
export function spawnLoop(
  gatewayUrl: string,
  adminToken: string,
  model: string,
  args: readonly string[],
): ChildProcess {
  return spawn(
    process.execPath,
    [
      "--import",
      "tsx",
      "src/distill/cli/loop.ts",
      "--gateway",
      gatewayUrl,
      "--name",
      model,
      "--once",
      ...args,
    ],
    { env: { ...process.env, ADMIN_TOKEN: adminToken }, stdio: ["ignore", "ignore", "pipe"] },
  );
}

export interface Finished {
  code: number | null;
  stderr: string;
}

/** Resolves when the run exits, with its exit code (null when killed) and its whole log. */
export function finished(child: ChildProcess): Promise<Finished> {
  return new Promise((resolve) => {
    let stderr = "";
    child.stderr!.on("data", (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    child.on("close", (code) => resolve({ code, stderr }));
  });
}
