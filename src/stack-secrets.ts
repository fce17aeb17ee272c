/**
 * Secrets for the local stack's `wrangler dev`, today the ADMIN_TOKEN.
 *
 * Where the token comes from: the caller, else $ADMIN_TOKEN, else a fresh random one (32 bytes,
 * base64url: 43 characters, above the gateway's 32-character minimum) that `npm start` prints.
 *
 * How it reaches the Worker: a private env file (0600, in a fresh 0700 temp directory, removed on stop)
 * passed with `--env-file`. Not `--var KEY:VALUE`, which any local user can read in the process list; not
 * the project's `.dev.vars`, which is the user's own file. wrangler reads `.dev.vars` only when no
 * `--env-file` is given, so the user's `.dev.vars`, if any, is passed first and still applies; the
 * stack's file comes last and wins for the keys it sets.
 */
import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

export type TokenSource = "option" | "env" | "generated";

export function resolveAdminToken(
  option: string | undefined,
  env: NodeJS.ProcessEnv = process.env,
): { token: string; source: TokenSource } {
  if (option !== undefined) return { token: option, source: "option" };
  const fromEnv = env.ADMIN_TOKEN;
  if (fromEnv !== undefined && fromEnv !== "") return { token: fromEnv, source: "env" };
  return { token: randomBytes(32).toString("base64url"), source: "generated" };
}

// wrangler's env-file reader expands $VAR and unescapes quotes: keep values to characters that survive
// it verbatim rather than half-implementing its escaping.
const SAFE_VALUE = /^[\x21-\x7e]+$/;
const UNSAFE_CHARS = /[$'"\\`#]/;

export interface SecretsFile {
  /** The `wrangler dev` arguments that load it (after the user's .dev.vars, if there is one). */
  args: string[];
  remove(): Promise<void>;
}

export async function writeSecretsFile(
  secrets: Record<string, string>,
  projectDir = ".",
): Promise<SecretsFile> {
  for (const [key, value] of Object.entries(secrets))
    if (!SAFE_VALUE.test(value) || UNSAFE_CHARS.test(value))
      throw new Error(`${key} must be printable ASCII without spaces, quotes, backslashes, $, \` or #`);
  const dir = await mkdtemp(join(tmpdir(), "apprentice-stack-"));
  const path = join(dir, "secrets.env");
  const lines = Object.entries(secrets).map(([key, value]) => `${key}=${value}\n`);
  await writeFile(path, lines.join(""), { mode: 0o600 });
  const devVars = resolve(projectDir, ".dev.vars");
  const args = [...(existsSync(devVars) ? ["--env-file", devVars] : []), "--env-file", path];
  return { args, remove: () => rm(dir, { recursive: true, force: true }) };
}
