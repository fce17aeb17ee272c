import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { z } from "zod";
import type { GatewayClient } from "../gateway-client/client.ts";
import type { AdminModel } from "../gateway-client/schemas.ts";
import { watermarkOf } from "../gateway-client/watermark.ts";

/**
 * What the model's serving versions were trained on: the newest watermark
 * (`training.hardExamples.newestRecordAt`) among the live, canary and shadow versions' manifests in the
 * registry. Records logged after it are new. null when none has one (a bundled student, a model with
 * no student yet): every logged record is new.
 */
export async function trainedUpTo(client: GatewayClient, state: AdminModel): Promise<string | null> {
  const serving = [state.live, state.canary?.version, state.shadow?.version].filter(
    (v): v is string => typeof v === "string",
  );
  const stored = new Set(state.versions.filter((v) => v.source === "registry").map((v) => v.version));
  let newest: string | null = null;
  for (const version of serving.filter((v) => stored.has(v))) {
    const bytes = await client.versionFile(state.name, version, "manifest.json");
    const mark = watermarkOf(JSON.parse(new TextDecoder().decode(bytes)));
    if (mark !== null && (newest === null || mark > newest)) newest = mark;
  }
  return newest;
}

/** The instant just after a watermark: the export's `since` is "at or after". */
export const after = (watermark: string): string => new Date(Date.parse(watermark) + 1).toISOString();

/**
 * What this machine remembers between runs: the data a refused candidate was trained on, so a round is
 * not retrained on the same records every time (cron). A hint, not a lock: a lost file costs one
 * retraining, and each machine keeps its own.
 */
const Memory = z.object({ refusedUpTo: z.iso.datetime().nullable() });
type Memory = z.infer<typeof Memory>;

const memoryPath = (runsDir: string, name: string) => join(runsDir, name, "loop-state.json");

export async function readMemory(runsDir: string, name: string): Promise<Memory> {
  try {
    return Memory.parse(JSON.parse(await readFile(memoryPath(runsDir, name), "utf8")));
  } catch {
    return { refusedUpTo: null };
  }
}

export async function writeMemory(runsDir: string, name: string, memory: Memory): Promise<void> {
  await mkdir(join(runsDir, name), { recursive: true });
  await writeFile(memoryPath(runsDir, name), `${JSON.stringify(memory)}\n`);
}
