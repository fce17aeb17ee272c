/**
 * Applies the D1 migrations (migrations/) to the local database `wrangler dev` uses, before the stack
 * starts it, so the hard-example consumer finds its table. Idempotent: wrangler records what it applied
 * and skips it next time ("No migrations to apply"). Local only, and offline like the rest of the stack.
 */
import { spawn } from "node:child_process";

export async function applyLocalMigrations(options: {
  stdio?: "inherit" | "ignore";
  /** Extra environment (the stack's OFFLINE_ENV). */
  env: Record<string, string>;
  /** The state directory `wrangler dev --persist-to` will use; the migrations must land in the same one. */
  persistTo?: string;
}): Promise<void> {
  const args = ["wrangler", "d1", "migrations", "apply", "DB", "--local"];
  if (options.persistTo !== undefined) args.push("--persist-to", options.persistTo);
  const child = spawn("npx", args, {
    // No stdin: wrangler then takes its non-interactive default ("yes") instead of asking.
    stdio: ["ignore", options.stdio ?? "inherit", options.stdio ?? "inherit"],
    env: { ...process.env, ...options.env },
  });
  const code = await new Promise<number>((resolve, reject) => {
    child.once("error", reject);
    child.once("exit", (exit) => resolve(exit ?? 1));
  });
  if (code !== 0) throw new Error(`wrangler d1 migrations apply DB --local exited with ${code}`);
}
