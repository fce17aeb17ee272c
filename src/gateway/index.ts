import { Hono } from "hono";

/** Bindings the Worker expects; grows as the gateway does. */
export type Env = Record<string, never>;

export const app = new Hono<{ Bindings: Env }>();

app.get("/healthz", (c) => c.json({ status: "ok" }));

// Errors are always JSON (DESIGN.md "HTTP API"): never an HTML page or a stack trace.
app.notFound((c) =>
  c.json(
    { error: { code: "not_found", message: `No route for ${c.req.method} ${new URL(c.req.url).pathname}` } },
    404,
  ),
);

app.onError((err, c) => {
  console.error(err);
  return c.json({ error: { code: "internal", message: "Internal error" } }, 500);
});

export default { fetch: app.fetch } satisfies ExportedHandler<Env>;
