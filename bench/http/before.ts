import { execFile } from "node:child_process";
import { symlink } from "node:fs/promises";
import { join, resolve } from "node:path";
import { promisify } from "node:util";

const git = (...args: string[]) => promisify(execFile)("git", args);

/** An earlier commit's gateway, checked out beside this one, for a before/after in one run. */
export interface BeforeTree {
  ref: string;
  commit: string;
  /** Its Worker entry, for `wrangler dev <entry>` with this tree's wrangler.toml. */
  entry: string;
  remove(): Promise<void>;
}

/** A detached `git worktree` of `ref` in `dir`, sharing this tree's node_modules. */
export async function checkoutBefore(ref: string, dir: string): Promise<BeforeTree> {
  const commit = (await git("rev-parse", "--verify", `${ref}^{commit}`)).stdout.trim();
  await git("worktree", "add", "--detach", dir, commit);
  await symlink(resolve("node_modules"), join(dir, "node_modules"));
  return {
    ref,
    commit,
    entry: join(dir, "src/gateway/index.ts"),
    remove: async () => {
      await git("worktree", "remove", "--force", dir);
    },
  };
}
