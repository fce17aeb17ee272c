/**
 * `npm start`: the local teacher server and the gateway (wrangler dev) on 127.0.0.1, wired together.
 * Ctrl-C (or SIGTERM) stops both and leaves nothing running.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { parseArgs } from "node:util";
import { startTeacherServer } from "./teacher/server.ts";

const { values } = parseArgs({
  options: {
    port: { type: "string", default: "8787" },
    "teacher-port": { type: "string", default: "8788" },
    "teacher-latency-ms": { type: "string", default: "0" },
  },
});
const host = "127.0.0.1";
const teacher = await startTeacherServer({
  host,
  port: Number(values["teacher-port"]),
  latencyMs: Number(values["teacher-latency-ms"]),
});

const gatewayUrl = `http://${host}:${values.port}`;
const wrangler: ChildProcess = spawn(
  "npx",
  [
    "wrangler",
    "dev",
    "--ip",
    host,
    "--port",
    String(values.port),
    "--show-interactive-dev-session=false",
    "--var",
    `TEACHER_URL:${teacher.url}`,
    "--var",
    "TEACHER_PROTOCOL:kserve-v2",
  ],
  {
    stdio: ["ignore", "inherit", "inherit"],
    env: {
      ...process.env,
      WRANGLER_SEND_METRICS: "false",
      CLOUDFLARE_CF_FETCH_ENABLED: "false",
      WRANGLER_HIDE_BANNER: "true",
    },
    // Its own process group, so stopping it also stops workerd beneath it.
    detached: true,
  },
);

await waitFor(`${gatewayUrl}/healthz`, 60_000);
process.stdout.write(
  [
    "",
    `gateway  ${gatewayUrl}`,
    `teacher  ${teacher.url} (KServe V2 and OpenAI chat completions: ${teacher.models.join(", ")})`,
    "",
    "try:",
    `  curl -s ${gatewayUrl}/v1/classify -H 'content-type: application/json' -d '{"text":"what is my credit score"}'`,
    "",
  ].join("\n"),
);

let stopping = false;
async function stop(code: number): Promise<void> {
  if (stopping) return;
  stopping = true;
  if (wrangler.pid && wrangler.exitCode === null) {
    try {
      process.kill(-wrangler.pid, "SIGTERM");
    } catch {
      // already gone
    }
  }
  await teacher.close();
  process.exit(code);
}
process.on("SIGINT", () => void stop(0));
process.on("SIGTERM", () => void stop(0));
wrangler.on("exit", (code) => void stop(code ?? 1));

async function waitFor(url: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      if ((await fetch(url)).ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  await stop(1);
}
