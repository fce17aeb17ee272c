import type { ModelDefinitionBody } from "../gateway-client/schemas.ts";
import { numberFlag, stringFlag, UsageError } from "./args.ts";

/** `npm run model -- create`: the labels file and the flags, as the definition sent to the gateway. */
type Flags = Record<string, string | boolean | undefined>;

/** A JSON array of strings, or one label per line (blank lines skipped). */
export function parseLabels(text: string): string[] {
  const trimmed = text.trim();
  if (trimmed.startsWith("[")) {
    const parsed: unknown = JSON.parse(trimmed);
    if (!Array.isArray(parsed) || !parsed.every((l) => typeof l === "string"))
      throw new UsageError("--labels: a JSON labels file must be an array of strings");
    return parsed;
  }
  return trimmed
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line !== "");
}

export function required(flags: Flags, name: string): string {
  const value = stringFlag(flags, name);
  if (value === undefined) throw new UsageError(`give --${name}`);
  return value;
}

/** The definition the flags describe; the gateway validates it (and says what is wrong). */
export function definitionOf(flags: Flags, labels: string[]): ModelDefinitionBody {
  const body: ModelDefinitionBody = { labels };
  const oos = stringFlag(flags, "out-of-scope");
  if (oos !== undefined) body.outOfScopeLabel = oos;
  const protocol = stringFlag(flags, "teacher-protocol");
  const price = numberFlag(flags, "price");
  const teacherFlags = ["teacher-url", "teacher-model", "teacher-key-secret", "price"];
  if (protocol === undefined) {
    const stray = teacherFlags.find((f) => flags[f] !== undefined);
    if (stray) throw new UsageError(`--${stray} goes with --teacher-protocol`);
    return body;
  }
  const teacher: NonNullable<ModelDefinitionBody["teacher"]> = { protocol };
  const url = stringFlag(flags, "teacher-url");
  const model = stringFlag(flags, "teacher-model");
  const secret = stringFlag(flags, "teacher-key-secret");
  if (url !== undefined) teacher.url = url;
  if (model !== undefined) teacher.model = model;
  if (secret !== undefined) teacher.secret = secret;
  if (price !== undefined) teacher.pricePerCall = price;
  body.teacher = teacher;
  return body;
}
