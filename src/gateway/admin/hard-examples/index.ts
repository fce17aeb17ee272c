import { createRoute } from "@hono/zod-openapi";
import { HardExampleRecord } from "../../../core/hard-example.ts";
import { ApiError } from "../../errors.ts";
import { documentedApp, mount } from "../../openapi.ts";
import { readD1 } from "../query.ts";
import { adminRoute } from "../route.ts";
import { ExportQuery, parseFilters } from "./filters.ts";
import { indexRows } from "./index-rows.ts";
import { recordLines } from "./records.ts";

/**
 * GET /admin/hard-examples: the hard-example records matching the filters, oldest first, as NDJSON, for
 * the distill toolkit. The index is queried before the answer starts, so a bad filter or a D1 failure
 * is a proper error status; the records are then streamed from R2 as they are read.
 */
export const INDEXED_HEADER = "x-hard-examples-indexed";

const encoder = new TextEncoder();
const LINES_PER_CHUNK = 64;

const exportRoute = adminRoute(
  createRoute({
    method: "get",
    path: "/admin/hard-examples",
    operationId: "exportHardExamples",
    summary: "Export hard-example records (NDJSON, oldest first)",
    request: { query: ExportQuery },
    responses: {
      200: {
        description: `One HardExampleRecord per line. Header ${INDEXED_HEADER}: how many index rows matched (fewer lines means records were missing or invalid in R2).`,
        headers: { [INDEXED_HEADER]: { schema: { type: "integer", minimum: 0 } } },
        content: {
          "application/x-ndjson": { schema: HardExampleRecord.meta({ id: "HardExampleRecord" }) },
        },
      },
    },
  }),
  400,
);

export const hardExampleRoutes = documentedApp();
mount(hardExampleRoutes, exportRoute, async (c) => {
  const filters = parseFilters(c.req.queries());
  const db = c.env?.DB;
  const bucket = c.env?.HARD_EXAMPLES_BUCKET;
  if (!db || !bucket)
    throw new ApiError(
      503,
      "not_configured",
      "the hard-example log is not configured: bind the D1 database DB and the R2 bucket HARD_EXAMPLES_BUCKET",
    );
  const rows = await readD1("the hard_examples table does not exist", () => indexRows(db, filters));
  const lines = recordLines(bucket, rows);
  const body = new ReadableStream<Uint8Array>({
    async pull(controller) {
      try {
        // A few lines per chunk: one chunk per record would cost a stream round trip each.
        let chunk = "";
        for (let i = 0; i < LINES_PER_CHUNK; i++) {
          const { value, done } = await lines.next();
          if (done) {
            if (chunk) controller.enqueue(encoder.encode(chunk));
            controller.close();
            return;
          }
          chunk += `${value}\n`;
        }
        controller.enqueue(encoder.encode(chunk));
      } catch (error) {
        // Headers are gone by now: all the client can be told is that the stream broke.
        console.error("hard-examples export failed mid-stream", error);
        controller.error(error);
      }
    },
    async cancel() {
      await lines.return(undefined);
    },
  });
  return c.body(body, 200, {
    "content-type": "application/x-ndjson; charset=utf-8",
    // How many records the index matched: fewer lines than this means some were missing or invalid.
    [INDEXED_HEADER]: String(rows.length),
    "cache-control": "no-store",
  });
});
