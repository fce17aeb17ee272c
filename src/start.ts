/**
 * `npm start`: the local teacher server and the gateway (wrangler dev) on 127.0.0.1, wired together.
 * Ctrl-C (or SIGTERM) stops both and leaves nothing running.
 */
import { parseArgs } from "node:util";
import { startStack } from "./stack.ts";

const { values } = parseArgs({
  options: {
    port: { type: "string", default: "8787" },
    "teacher-port": { type: "string", default: "8788" },
    "teacher-latency-ms": { type: "string", default: "0" },
  },
});

const stack = await startStack({
  port: Number(values.port),
  teacher: { port: Number(values["teacher-port"]), latencyMs: Number(values["teacher-latency-ms"]) },
});
const { gatewayUrl, teacher } = stack;
process.stdout.write(
  [
    "",
    `gateway  ${gatewayUrl}`,
    `teacher  ${teacher.url} (KServe V2 and OpenAI chat completions: ${teacher.models.join(", ")})`,
    "",
    "try:",
    `  curl -s ${gatewayUrl}/v1/classify -H 'content-type: application/json' -d '{"text":"what is my credit score"}'`,
    "",
    "Ctrl-C stops both.",
    "",
  ].join("\n"),
);

const shutdown = async (code: number) => {
  await stack.stop();
  process.exit(code);
};
process.on("SIGINT", () => void shutdown(0));
process.on("SIGTERM", () => void shutdown(0));
void stack.exited.then((code) => shutdown(code));
