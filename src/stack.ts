/**
 * The local stack: the teacher server and the gateway under `wrangler dev`, wired together. Used by
 * `npm start` (src/start.ts), the end-to-end tests and the benchmarks.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { type AddressInfo, createServer } from "node:net";
import { applyLocalMigrations } from "./stack-migrations.ts";
import { resolveAdminToken, type TokenSource, writeSecretsFile } from "./stack-secrets.ts";
import {
  startTeacherServer,
  type TeacherServer,
  type TeacherServerOptions,
} from "./teacher-server/server.ts";

export interface StackOptions {
  host?: string;
  port: number;
  teacher: TeacherServerOptions;
  /** Extra Worker vars (`--var KEY:VALUE`), e.g. short breaker cooldowns in tests. */
  vars?: Record<string, string>;
  /** Where wrangler's output goes: inherited by `npm start`, ignored in tests. */
  stdio?: "inherit" | "ignore";
  readyTimeoutMs?: number;
  /** The gateway's ADMIN_TOKEN; by default $ADMIN_TOKEN, else a new random one (see stack-secrets.ts). */
  adminToken?: string;
  /**
   * wrangler's local state directory (D1, R2, KV, queues), default .wrangler/state. A fresh one gives a
   * run with no hard examples and no registry versions, e.g. each benchmark run.
   */
  persistTo?: string;
  /** Called right after `wrangler dev` is spawned (after the migrations), e.g. to time a cold start. */
  onSpawn?: () => void;
  /** `wrangler dev --test-scheduled`: GET /__scheduled runs the Worker's cron handler (tests only). */
  testScheduled?: boolean;
  /** Another Worker entry than wrangler.toml's `main`, e.g. a benchmark's (src/gateway/bench-entry.ts). */
  entry?: string;
}

export interface Stack {
  gatewayUrl: string;
  readonly teacher: TeacherServer;
  /** The bearer token of the gateway's /admin routes, and where it came from. */
  adminToken: string;
  adminTokenSource: TokenSource;
  /** Takes the teacher down mid-run (the gateway keeps running), and brings it back on the same port. */
  stopTeacher(): Promise<void>;
  restartTeacher(): Promise<void>;
  /** Stops the gateway (its whole process group) and the teacher. Safe to call twice. */
  stop(): Promise<void>;
  /** Resolves when wrangler exits, with its exit code. */
  exited: Promise<number>;
  /** wrangler's process id, also its process group's (workerd runs in that group). */
  pid: number | undefined;
}

export const OFFLINE_ENV = {
  WRANGLER_SEND_METRICS: "false",
  CLOUDFLARE_CF_FETCH_ENABLED: "false",
  WRANGLER_HIDE_BANNER: "true",
} as const;

export async function startStack(options: StackOptions): Promise<Stack> {
  const host = options.host ?? "127.0.0.1";
  // First, so a token wrangler could not read verbatim fails before anything is started.
  const admin = resolveAdminToken(options.adminToken);
  // The hard-example index (D1) must exist before the gateway's queue consumer runs.
  await applyLocalMigrations({
    stdio: options.stdio ?? "inherit",
    env: OFFLINE_ENV,
    ...(options.persistTo !== undefined ? { persistTo: options.persistTo } : {}),
  });
  const secrets = await writeSecretsFile({ ADMIN_TOKEN: admin.token });
  let teacher = await startTeacherServer({ host, ...options.teacher }).catch(async (error: unknown) => {
    await secrets.remove();
    throw error;
  });
  let teacherUp = true;
  const port = teacher.port;
  const vars = { TEACHER_URL: teacher.url, TEACHER_PROTOCOL: "kserve-v2", ...options.vars };
  const args = ["wrangler", "dev", ...(options.entry ? [options.entry] : [])];
  args.push("--ip", host, "--port", String(options.port));
  args.push("--show-interactive-dev-session=false");
  if (options.persistTo !== undefined) args.push("--persist-to", options.persistTo);
  if (options.testScheduled) args.push("--test-scheduled");
  for (const [key, value] of Object.entries(vars)) args.push("--var", `${key}:${value}`);
  args.push(...secrets.args);
  const wrangler: ChildProcess = spawn("npx", args, {
    stdio: ["ignore", options.stdio ?? "inherit", options.stdio ?? "inherit"],
    // The env files are read only while this is on (its default; a user's environment may turn it off).
    env: { ...process.env, ...OFFLINE_ENV, CLOUDFLARE_LOAD_DEV_VARS_FROM_DOT_ENV: "true" },
    // Its own process group, so stopping it also stops workerd beneath it.
    detached: true,
  });
  options.onSpawn?.();
  const exited = new Promise<number>((resolve) => wrangler.on("exit", (code) => resolve(code ?? 1)));
  const gatewayUrl = `http://${host}:${options.port}`;

  // Every caller gets the one stop in progress: `npm start` stops on a signal and on wrangler's exit,
  // and must not exit while the first stop is still removing the secrets file.
  let stopping: Promise<void> | null = null;
  const stop = (): Promise<void> => (stopping ??= stopOnce());
  const stopOnce = async (): Promise<void> => {
    if (wrangler.pid !== undefined && wrangler.exitCode === null) {
      try {
        process.kill(-wrangler.pid, "SIGTERM");
      } catch {
        // already gone
      }
      await exited;
    }
    await secrets.remove();
    if (teacherUp) await teacher.close();
  };

  try {
    await waitForOk(`${gatewayUrl}/healthz`, options.readyTimeoutMs ?? 60_000, exited);
  } catch (error) {
    await stop();
    throw error;
  }
  return {
    gatewayUrl,
    adminToken: admin.token,
    adminTokenSource: admin.source,
    get teacher() {
      return teacher;
    },
    async stopTeacher() {
      if (!teacherUp) return;
      teacherUp = false;
      await teacher.close();
    },
    async restartTeacher() {
      if (teacherUp) return;
      teacher = await startTeacherServer({ host, ...options.teacher, port });
      teacherUp = true;
    },
    stop,
    exited,
    pid: wrangler.pid,
  };
}

async function waitForOk(url: string, timeoutMs: number, exited: Promise<number>): Promise<void> {
  let gone = false;
  void exited.then(() => {
    gone = true;
  });
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline && !gone) {
    try {
      if ((await fetch(url)).ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(gone ? "wrangler dev exited before the gateway was ready" : `gateway not ready at ${url}`);
}

/** A free TCP port on loopback, for stacks started by tests and benchmarks. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolve(port));
    });
  });
}
