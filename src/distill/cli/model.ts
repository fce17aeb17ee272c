import { readFile } from "node:fs/promises";
import { GatewayClient } from "../gateway-client/client.ts";
import { parse, runCli, stringFlag, UsageError } from "./args.ts";
import { definitionOf, parseLabels, required } from "./model-flags.ts";

const USAGE = `Usage: npm run model -- create --gateway URL --name NAME --labels FILE [options]

Creates (or replaces) a model on a running gateway from its labels and, optionally, its own teacher
(PUT /admin/models/NAME). Until a student version is promoted, its teacher answers every request and
every answer is logged as a hard example; if the teacher fails the gateway answers 503 with Retry-After.

  --gateway URL              the gateway
  --name NAME                the model's name (lowercase letters, digits, "-")
  --labels FILE              the labels: a JSON array of strings, or one label per line; their order is
                             the order every student of the model must have
  --out-of-scope LABEL       the label meaning "none of the above", if there is one
  --teacher-protocol P       openai | kserve-v2 | http-json | workers-ai (default: the gateway's TEACHER_*)
  --teacher-url URL          the teacher's base URL (not for workers-ai)
  --teacher-model ID         the model id on the teacher's side (default: NAME)
  --teacher-key-secret NAME  the NAME of the gateway's Worker secret holding the teacher's API key
                             (set it with: wrangler secret put NAME); never the key itself
  --price USD                what one teacher call costs (default: the gateway's TEACHER_PRICE_PER_CALL)
  --admin-token T            admin bearer token (default: env ADMIN_TOKEN; at least 32 characters)
`;

const FLAGS = {
  gateway: { type: "string" },
  name: { type: "string" },
  labels: { type: "string" },
  "out-of-scope": { type: "string" },
  "teacher-protocol": { type: "string" },
  "teacher-url": { type: "string" },
  "teacher-model": { type: "string" },
  "teacher-key-secret": { type: "string" },
  price: { type: "string" },
  "admin-token": { type: "string" },
  help: { type: "boolean", short: "h", default: false },
} as const;

async function main(): Promise<void> {
  const [command, ...rest] = process.argv.slice(2);
  if (command === "--help" || command === "-h" || command === undefined) {
    process.stdout.write(USAGE);
    return;
  }
  if (command !== "create") throw new UsageError(`unknown command "${command}" (commands: create)`);
  const flags = parse(rest, FLAGS);
  if (flags.help) {
    process.stdout.write(USAGE);
    return;
  }
  const url = required(flags, "gateway");
  if (!URL.canParse(url)) throw new UsageError(`--gateway must be a URL, got "${url}"`);
  const name = required(flags, "name");
  const labels = parseLabels(await readFile(required(flags, "labels"), "utf8"));
  const token = stringFlag(flags, "admin-token") ?? process.env.ADMIN_TOKEN;
  if (!token) throw new UsageError("give --admin-token T or set ADMIN_TOKEN");
  const client = new GatewayClient(url, token);
  const { created, model } = await client.defineModel(name, definitionOf(flags, labels));
  const teacher = model.definition?.teacher?.protocol ?? "the gateway's default teacher";
  process.stdout.write(
    `${created ? "created" : "replaced"} ${name}: ${labels.length} labels, teacher ${teacher}, ` +
      `live student ${model.live ?? "none (the teacher answers everything)"}\n`,
  );
  for (const warning of model.warnings ?? []) process.stderr.write(`warning: ${warning}\n`);
}

await runCli(main, USAGE);
