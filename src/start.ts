/**
 * `npm start`: the local teacher server and the gateway (wrangler dev) on 127.0.0.1, wired together.
 * Ctrl-C (or SIGTERM) stops both and leaves nothing running.
 */
import { parseArgs } from "node:util";
import { startStack } from "./stack.ts";
import { Fallback, parseAnswersFlag } from "./teacher-server/answers/load.ts";

const { values } = parseArgs({
  options: {
    port: { type: "string", default: "8787" },
    "teacher-port": { type: "string", default: "8788" },
    "teacher-latency-ms": { type: "string", default: "0" },
    // As the teacher's own --answers / --answers-fallback (npm run teacher -- --help).
    "teacher-answers": { type: "string", multiple: true, default: [] },
    "teacher-answers-fallback": { type: "string", default: "none" },
  },
});

const fallback = Fallback.safeParse(values["teacher-answers-fallback"]);
if (!fallback.success) {
  console.error("start: --teacher-answers-fallback must be none or model");
  process.exit(2);
}

const stack = await startStack({
  port: Number(values.port),
  teacher: {
    port: Number(values["teacher-port"]),
    latencyMs: Number(values["teacher-latency-ms"]),
    answers: values["teacher-answers"].map(parseAnswersFlag),
    answersFallback: fallback.data,
  },
});
const { gatewayUrl, teacher, adminToken, adminTokenSource } = stack;
// A token from the environment is the user's own: say where it is from, do not echo it.
const adminLine =
  adminTokenSource === "generated"
    ? `admin     export ADMIN_TOKEN=${adminToken}   (generated for this run; set ADMIN_TOKEN to choose one)`
    : `admin     token from $ADMIN_TOKEN${adminToken.length < 32 ? " — shorter than 32 characters: /admin is DISABLED" : ""}`;
process.stdout.write(
  [
    "",
    `gateway   ${gatewayUrl}`,
    `dashboard ${gatewayUrl}/dashboard   (sign in with the admin token)`,
    `metrics   ${gatewayUrl}/metrics`,
    `teacher   ${teacher.url} (KServe V2 and OpenAI chat completions: ${teacher.models.join(", ")})`,
    ...teacher.answers.map(
      (a) => `          ${a.model} replays recorded answers from ${a.file} (${a.texts} texts)`,
    ),
    adminLine,
    "",
    "try:",
    `  curl -s ${gatewayUrl}/v1/classify -H 'content-type: application/json' -d '{"text":"what is my credit score"}'`,
    `  curl -s ${gatewayUrl}/admin/models -H "authorization: Bearer $ADMIN_TOKEN"`,
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
