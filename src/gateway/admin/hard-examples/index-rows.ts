import type { ExportFilters } from "./filters.ts";

/**
 * The D1 index of the hard-example log (table hard_examples, written by the queue consumer in
 * src/gateway/hard-example-log): which ids match the filters, oldest first, and which R2 object holds each.
 * Read in pages by keyset (ts, id) so no single query returns or scans more than PAGE rows, whatever the
 * limit; ts is the record's ISO 8601 time, which sorts as text.
 */
export interface IndexRow {
  id: string;
  ts: string;
  r2_key: string;
}

export const PAGE = 1000;

export async function indexRows(db: D1Database, filters: ExportFilters): Promise<IndexRow[]> {
  const where: string[] = [];
  const params: (string | number)[] = [];
  const add = (clause: string, ...values: (string | number)[]) => {
    where.push(clause);
    params.push(...values);
  };
  if (filters.model !== undefined) add("model = ?", filters.model);
  if (filters.version !== undefined) add("version = ?", filters.version);
  if (filters.route !== undefined) add("route = ?", filters.route);
  if (filters.since !== undefined) add("ts >= ?", filters.since);

  const rows: IndexRow[] = [];
  let after: IndexRow | undefined;
  while (rows.length < filters.limit) {
    const clauses = after ? [...where, "(ts > ? OR (ts = ? AND id > ?))"] : where;
    const values = after ? [...params, after.ts, after.ts, after.id] : params;
    const take = Math.min(PAGE, filters.limit - rows.length);
    const sql = `SELECT id, ts, r2_key FROM hard_examples${
      clauses.length ? ` WHERE ${clauses.join(" AND ")}` : ""
    } ORDER BY ts, id LIMIT ?`;
    const { results } = await db
      .prepare(sql)
      .bind(...values, take)
      .all<IndexRow>();
    rows.push(...results);
    if (results.length < take) break;
    after = results.at(-1);
  }
  return rows;
}
