import { HardExampleRecord } from "../../../core/hard-example.ts";
import type { IndexRow } from "./index-rows.ts";

/**
 * The records the index rows point at, in the rows' order, as JSON lines. Each R2 object (a batch of the
 * consumer, JSONL) is read once: an object stays open only while some later row still needs it, so memory
 * holds the few batches the current stretch of time spans, not the export. The next objects are fetched
 * ahead, a few at a time, to hide R2's latency.
 *
 * For each row the record with that id in that object is the one emitted (the indexed occurrence: a
 * retried batch may have left the same record in another object too). A record that is missing or does
 * not validate is skipped and logged; the export goes on, and the count of index rows sent as a header
 * lets the client notice.
 */
const READ_AHEAD = 4;

type Lines = Map<string, string>;

async function readObject(bucket: R2Bucket, key: string, wanted: ReadonlySet<string>): Promise<Lines> {
  const lines: Lines = new Map();
  const object = await bucket.get(key);
  if (object === null) {
    console.error(`hard-examples export: ${key} is in the index but not in the bucket`);
    return lines;
  }
  for (const line of (await object.text()).split("\n")) {
    if (line.trim() === "") continue;
    let raw: unknown;
    try {
      raw = JSON.parse(line);
    } catch {
      console.error(`hard-examples export: ${key} has a line that is not JSON`);
      continue;
    }
    const id = (raw as { id?: unknown } | null)?.id;
    if (typeof id !== "string" || !wanted.has(id) || lines.has(id)) continue;
    const record = HardExampleRecord.safeParse(raw);
    if (record.success) lines.set(id, JSON.stringify(record.data));
    else console.error(`hard-examples export: record ${id} in ${key} does not validate`);
  }
  return lines;
}

export async function* recordLines(bucket: R2Bucket, rows: readonly IndexRow[]): AsyncGenerator<string> {
  const wanted = new Map<string, Set<string>>();
  for (const row of rows) {
    const ids = wanted.get(row.r2_key) ?? new Set<string>();
    wanted.set(row.r2_key, ids);
    ids.add(row.id);
  }
  const remaining = new Map([...wanted].map(([key, ids]) => [key, ids.size]));
  // Objects in order of first use: the object a row needs is either open or the next one in this list.
  const order = [...wanted.keys()];
  const open = new Map<string, Promise<Lines>>();
  let next = 0;
  const fetchNext = () => {
    const key = order[next++]!;
    const lines = readObject(bucket, key, wanted.get(key)!);
    // Read ahead, maybe never awaited (the client went away): its failure must not go unhandled.
    lines.catch(() => undefined);
    open.set(key, lines);
  };
  // The index's primary key makes ids unique, so each row yields at most one line.
  for (const row of rows) {
    if (!open.has(row.r2_key)) fetchNext();
    while (next < order.length && open.size < READ_AHEAD) fetchNext();
    const line = (await open.get(row.r2_key)!).get(row.id);
    if (line !== undefined) yield line;
    else console.error(`hard-examples export: ${row.id} is not in ${row.r2_key}`);
    const left = remaining.get(row.r2_key)! - 1;
    remaining.set(row.r2_key, left);
    if (left === 0) open.delete(row.r2_key);
  }
}
