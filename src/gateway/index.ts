import { createApp } from "./app.ts";
import type { Env } from "./bindings.ts";

/** The Worker entry: the gateway app with its production wiring (bundled models, configured teacher). */
const app = createApp();

export default { fetch: app.fetch } satisfies ExportedHandler<Env>;
