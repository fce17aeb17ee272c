import { parseArgs } from "node:util";
import { z } from "zod";
import type { LoadOptions } from "../data/index.ts";

/** Data flags shared by `distill` and `eval`. */
export const DATA_FLAGS = {
  data: { type: "string" },
  train: { type: "string" },
  val: { type: "string" },
  test: { type: "string" },
  format: { type: "string" },
  "text-col": { type: "string" },
  "label-col": { type: "string" },
  "val-fraction": { type: "string" },
  "test-fraction": { type: "string" },
  "dataset-name": { type: "string" },
  seed: { type: "string" },
  quiet: { type: "boolean", default: false },
  help: { type: "boolean", short: "h", default: false },
} as const;

type Flags = Record<string, string | boolean | undefined>;

const Num = (flag: string) =>
  z
    .string()
    .optional()
    .transform((v, ctx) => {
      if (v === undefined) return undefined;
      const n = Number(v);
      if (!Number.isFinite(n)) {
        ctx.addIssue({ code: "custom", message: `--${flag} must be a number, got "${v}"` });
        return z.NEVER;
      }
      return n;
    });

export function numberFlag(flags: Flags, name: string): number | undefined {
  const parsed = Num(name).safeParse(flags[name]);
  if (!parsed.success) throw new UsageError(parsed.error.issues[0]?.message ?? `bad --${name}`);
  return parsed.data;
}

export function stringFlag(flags: Flags, name: string): string | undefined {
  const v = flags[name];
  return typeof v === "string" ? v : undefined;
}

export function dataOptions(flags: Flags, seed: number): LoadOptions | null {
  const format = stringFlag(flags, "format");
  if (format !== undefined && !["clinc", "jsonl", "csv", "tsv"].includes(format))
    throw new UsageError(`--format must be clinc, jsonl, csv or tsv, got "${format}"`);
  const options: LoadOptions = {
    data: stringFlag(flags, "data"),
    train: stringFlag(flags, "train"),
    val: stringFlag(flags, "val"),
    test: stringFlag(flags, "test"),
    format: format as LoadOptions["format"],
    textCol: stringFlag(flags, "text-col"),
    labelCol: stringFlag(flags, "label-col"),
    valFraction: numberFlag(flags, "val-fraction"),
    testFraction: numberFlag(flags, "test-fraction"),
    name: stringFlag(flags, "dataset-name"),
    seed,
  };
  if (options.data === undefined && options.train === undefined) return null;
  // Drop unset keys so the manifest records only what was given.
  return Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined)) as LoadOptions;
}

export class UsageError extends Error {}

export function parse<
  T extends Record<string, { type: "string" | "boolean"; short?: string; default?: string | boolean }>,
>(argv: string[], options: T): Flags {
  try {
    return parseArgs({ args: argv, options, strict: true, allowPositionals: false }).values as Flags;
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
}

/** Runs a CLI main, printing usage errors and data errors without a stack trace. */
export async function runCli(main: () => Promise<void>, usage: string): Promise<void> {
  try {
    await main();
  } catch (error) {
    if (error instanceof UsageError) {
      process.stderr.write(`error: ${error.message}\n\n${usage}`);
      process.exitCode = 2;
    } else {
      process.stderr.write(`error: ${(error as Error).message}\n`);
      process.exitCode = 1;
    }
  }
}
