import { createRoute } from "@hono/zod-openapi";
import type { z } from "zod";
import { FeedbackRecord } from "../../../core/feedback.ts";
import { ApiError } from "../../errors.ts";
import { documentedApp, mount } from "../../openapi.ts";
import { ExportQuery } from "../hard-examples/filters.ts";
import { parseQuery, readD1 } from "../query.ts";
import { adminRoute } from "../route.ts";

/**
 * GET /admin/feedback: the current feedback records (the newest per answer, or per text when given by
 * text alone), oldest first, as NDJSON, for the distill toolkit, where their labels outrank the
 * teacher's. Read from D1, which holds each current record whole (migrations/0004_feedback.sql), in
 * keyset pages of PAGE rows.
 */
const FeedbackQuery = ExportQuery.pick({ model: true, since: true, limit: true });
type FeedbackFilters = z.output<typeof FeedbackQuery>;

const PAGE = 1000;

interface Row {
  id: string;
  example_id: string;
  ts: string;
  model: string;
  version: string | null;
  text: string;
  redactions: string;
  label: string;
  request_id: string | null;
  text_index: number | null;
  source: string | null;
  student_label: string | null;
  teacher_label: string | null;
  shadow_version: string | null;
  shadow_label: string | null;
}

const exportRoute = adminRoute(
  createRoute({
    method: "get",
    path: "/admin/feedback",
    operationId: "exportFeedback",
    summary: "Export feedback records (NDJSON, oldest first)",
    request: { query: FeedbackQuery },
    responses: {
      200: {
        description: "One FeedbackRecord per line: the newest per answer (or per text, given by text alone)",
        content: { "application/x-ndjson": { schema: FeedbackRecord.meta({ id: "FeedbackRecord" }) } },
      },
    },
  }),
  400,
);

/** The matching rows page by page (keyset on ts, id), so memory holds one page, not the export. */
async function* feedbackPages(db: D1Database, filters: FeedbackFilters): AsyncGenerator<Row[]> {
  let sent = 0;
  let after: Row | undefined;
  while (sent < filters.limit) {
    const take = Math.min(PAGE, filters.limit - sent);
    const { results } = await db
      .prepare(
        `SELECT * FROM feedback
         WHERE (?1 IS NULL OR model = ?1) AND (?2 IS NULL OR ts >= ?2)
           AND (?3 IS NULL OR ts > ?3 OR (ts = ?3 AND id > ?4))
         ORDER BY ts, id LIMIT ?5`,
      )
      .bind(filters.model ?? null, filters.since ?? null, after?.ts ?? null, after?.id ?? null, take)
      .all<Row>();
    if (results.length > 0) yield results;
    sent += results.length;
    if (results.length < take) return;
    after = results.at(-1);
  }
}

function recordOf(row: Row): FeedbackRecord {
  return FeedbackRecord.parse({
    kind: "feedback",
    id: row.id,
    example_id: row.example_id,
    ts: row.ts,
    model: row.model,
    version: row.version,
    text: row.text,
    redactions: JSON.parse(row.redactions),
    label: row.label,
    request_id: row.request_id,
    index: row.text_index,
    source: row.source,
    student_label: row.student_label,
    teacher_label: row.teacher_label,
    ...(row.shadow_version !== null && row.shadow_label !== null
      ? { shadow: { version: row.shadow_version, label: row.shadow_label } }
      : {}),
  });
}

export const feedbackAdminRoutes = documentedApp();
mount(feedbackAdminRoutes, exportRoute, async (c) => {
  const filters = parseQuery(FeedbackQuery, c.req.queries());
  const db = c.env?.DB;
  if (!db) throw new ApiError(503, "not_configured", "feedback is not configured: bind the D1 database DB");
  const pages = feedbackPages(db, filters);
  // The first page before the answer starts, so a missing table is a proper 503, not a broken stream.
  const first = await readD1("the feedback table does not exist", () => pages.next());
  const encoder = new TextEncoder();
  const encode = (rows: readonly Row[]) =>
    encoder.encode(rows.map((row) => `${JSON.stringify(recordOf(row))}\n`).join(""));
  const body = new ReadableStream<Uint8Array>({
    start(controller) {
      if (first.done) controller.close();
      else controller.enqueue(encode(first.value));
    },
    async pull(controller) {
      try {
        const next = await pages.next();
        if (next.done) controller.close();
        else controller.enqueue(encode(next.value));
      } catch (error) {
        console.error("feedback export failed mid-stream", error);
        controller.error(error);
      }
    },
    async cancel() {
      await pages.return(undefined);
    },
  });
  return c.body(body, 200, {
    "content-type": "application/x-ndjson; charset=utf-8",
    "cache-control": "no-store",
  });
});
