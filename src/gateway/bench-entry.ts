/**
 * The gateway Worker as `npm run bench:http` runs it: src/gateway/index.ts (its handlers, Durable Object
 * and start-up warm-up) with one difference, a request may name stages to replay instead of doing in
 * `x-bench-stages-off` (comma-separated, src/gateway/stages.ts), so the bench can price each stage by the
 * throughput it gives back. Only this entry reads that header; `wrangler deploy` bundles wrangler.toml's
 * `main` (src/gateway/index.ts), never this file.
 */
import { createApp } from "./app.ts";
import gateway from "./index.ts";
import {
  STAGES,
  STAGES_OFF_HEADER,
  type Stage,
  type StageMemo,
  type StageSwitch,
  stagesOff,
} from "./stages.ts";

export { TeacherBudget } from "./index.ts";

const memo: StageMemo = new Map();
const switches = new Map<string, StageSwitch>();

function switchFor(request: Request): StageSwitch {
  const header = request.headers.get(STAGES_OFF_HEADER) ?? "";
  let found = switches.get(header);
  if (!found) {
    const named = header.split(",").map((s) => s.trim());
    const off = new Set<Stage>(STAGES.filter((stage) => named.includes(stage)));
    found = stagesOff(off, memo);
    switches.set(header, found);
  }
  return found;
}

const app = createApp({ stages: switchFor });

export default { ...gateway, fetch: app.fetch } satisfies ExportedHandler<
  Parameters<typeof gateway.queue>[1]
>;
