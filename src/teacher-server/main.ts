import { parseArgs } from "node:util";
import { z } from "zod";
import { RECORDED_CONFIDENCE } from "./answers/distribution.ts";
import { parseAnswersFlag } from "./answers/load.ts";
import { FALLBACKS } from "./answers/replay.ts";
import { startTeacherServer } from "./server.ts";

/**
 * `npm run teacher` — the local teacher server on its own.
 * Exit codes: 0 after a clean shutdown (SIGINT/SIGTERM), 1 when it cannot start, 2 for bad flags.
 */
const USAGE = `Usage: npm run teacher -- [options]

Serves model teachers (models/<name>/teacher) over KServe V2 (/v2/...) and OpenAI chat completions (/v1/...).
With --answers, a model replays recorded answers instead: a strong teacher to test against (make a
file with \`npm run answers\`), or answers already paid for.

Options:
  --models <dirs>      comma-separated package dirs, e.g. models/clinc150,models/sms-spam
                       (default: every models/*/teacher/manifest.json)
  --host <host>        address to bind (default 127.0.0.1)
  --port <n>           port, 0 for any free one (default 8788)
  --latency-ms <n>     delay added before every inference answer (default 0)
  --fail-rate <f>      share of inference requests answered 503, 0..1 (default 0)
  --seed <n>           seed of the simulated failures (default 0)
  --max-batch <n>      most texts per inference request (default 256)
  --answers <model>=<file>
                       replay the answers in <file> for <model> (repeatable; a bare <file> is
                       for the only served model). Texts match after the model's featuriser
                       normalisation (Unicode, case, whitespace). The labels are the model's.
                       <file> is TSV, text<TAB>label per line, no header; or JSONL,
                       {"text": ..., "label": ..., "probs": {"<label>": p, ...}} per line, probs
                       optional: labels it leaves out share what is left of 1 evenly; without
                       probs the label gets p=${RECORDED_CONFIDENCE} and the other labels share the rest.
                       OpenAI logprobs and V2 probabilities come from that distribution.
  --answers-fallback <none|model>
                       a text the file does not answer: none (default) refuses it with 422
                       in the protocol's error shape; model answers it with the n-gram model
  -h, --help           show this help`;

const int = (name: string, min: number, max: number) =>
  z
    .string()
    .regex(/^\d+$/, `--${name} must be a whole number`)
    .transform(Number)
    .pipe(
      z.number().min(min, `--${name} must be at least ${min}`).max(max, `--${name} must be at most ${max}`),
    );

const Flags = z.object({
  models: z
    .string()
    .transform((s) =>
      s
        .split(",")
        .map((d) => d.trim())
        .filter((d) => d !== ""),
    )
    .pipe(z.array(z.string()).min(1, "--models needs at least one directory"))
    .optional(),
  host: z.string().min(1, "--host must not be empty").default("127.0.0.1"),
  port: int("port", 0, 65535).default(8788),
  "latency-ms": int("latency-ms", 0, 600_000).default(0),
  "fail-rate": z
    .string()
    .regex(/^(0(\.\d+)?|1(\.0+)?|\.\d+)$/, "--fail-rate must be a number from 0 to 1")
    .transform(Number)
    .default(0),
  seed: int("seed", 0, 0xffffffff).default(0),
  "max-batch": int("max-batch", 1, 100_000).default(256),
  answers: z.array(z.string().min(1, "--answers needs a file")).default([]),
  "answers-fallback": z
    .enum(FALLBACKS, { error: "--answers-fallback must be none or model" })
    .default("none"),
  help: z.boolean().default(false),
});

function usageError(message: string): never {
  console.error(`teacher: ${message}\n\n${USAGE}`);
  process.exit(2);
}

function parseFlags(argv: string[]): z.infer<typeof Flags> {
  let values: Record<string, unknown>;
  try {
    ({ values } = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: {
        models: { type: "string" },
        host: { type: "string" },
        port: { type: "string" },
        "latency-ms": { type: "string" },
        "fail-rate": { type: "string" },
        seed: { type: "string" },
        "max-batch": { type: "string" },
        answers: { type: "string", multiple: true },
        "answers-fallback": { type: "string" },
        help: { type: "boolean", short: "h" },
      },
    }));
  } catch (error) {
    usageError((error as Error).message);
  }
  const parsed = Flags.safeParse(values);
  if (!parsed.success) usageError(parsed.error.issues.map((i) => i.message).join("; "));
  return parsed.data;
}

async function main(): Promise<void> {
  // A parent that stops reading our output (npm start shutting down) must not turn a clean exit into
  // an EPIPE crash.
  for (const stream of [process.stdout, process.stderr]) stream.on("error", () => {});
  const flags = parseFlags(process.argv.slice(2));
  if (flags.help) {
    console.log(USAGE);
    return;
  }
  let server: Awaited<ReturnType<typeof startTeacherServer>>;
  try {
    server = await startTeacherServer({
      models: flags.models,
      host: flags.host,
      port: flags.port,
      latencyMs: flags["latency-ms"],
      failRate: flags["fail-rate"],
      seed: flags.seed,
      maxBatch: flags["max-batch"],
      answers: flags.answers.map(parseAnswersFlag),
      answersFallback: flags["answers-fallback"],
    });
  } catch (error) {
    console.error(`teacher: cannot start: ${(error as Error).message}`);
    process.exit(1);
  }
  // The first line is the URL, for scripts (npm start, tests) that wait for it.
  console.log(`teacher listening on ${server.url}`);
  console.log(`  models: ${server.models.join(", ")}`);
  for (const { model, file, texts } of server.answers) {
    const unknown = flags["answers-fallback"] === "model" ? "the model answers" : "refused (422)";
    console.log(`  answers: ${model} replays ${file} (${texts} texts; unknown texts: ${unknown})`);
  }
  console.log(`  KServe V2: ${server.url}/v2/models/${server.models[0]}/infer`);
  console.log(`  OpenAI:    ${server.url}/v1/chat/completions`);

  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    // A second Ctrl-C while draining means "now".
    if (stopping) process.exit(1);
    stopping = true;
    console.log(`teacher: ${signal}, shutting down`);
    server.close().then(
      () => process.exit(0),
      (error: unknown) => {
        console.error(`teacher: error while closing: ${(error as Error).message}`);
        process.exit(1);
      },
    );
  };
  process.on("SIGINT", stop);
  process.on("SIGTERM", stop);
}

await main();
