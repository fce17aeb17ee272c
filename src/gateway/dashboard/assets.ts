import uPlotJs from "uplot/dist/uPlot.iife.min.js";
import uPlotCss from "uplot/dist/uPlot.min.css";
import { sha256Hex } from "../../core/digest.ts";
import apiJs from "./ui/api.js";
import budgetJs from "./ui/budget.js";
import chartsJs from "./ui/charts.js";
import dashboardCss from "./ui/dashboard.css";
import dashboardJs from "./ui/dashboard.js";
import examplesJs from "./ui/examples.js";
import experimentsJs from "./ui/experiments.js";
import formatJs from "./ui/format.js";
import indexHtml from "./ui/index.html";
import overviewJs from "./ui/overview.js";
import versionsJs from "./ui/versions.js";

/**
 * The dashboard's files, bundled into the Worker as text (wrangler.toml `rules`), so the page, its
 * client modules and uPlot come from the gateway's own origin with no build step and no asset upload.
 * The client is plain JavaScript modules checked by tsc through JSDoc (ui/tsconfig.json): the browser
 * runs exactly the files in the repository, so `npm start`, the tests and a deploy all serve the same.
 */
export interface Asset {
  body: string;
  type: string;
}

const JS = "text/javascript; charset=utf-8";
const CSS = "text/css; charset=utf-8";

export const PAGE: Asset = { body: indexHtml, type: "text/html; charset=utf-8" };

/** Served under /dashboard/assets/{name}; nothing else is. */
export const ASSETS: ReadonlyMap<string, Asset> = new Map([
  ["dashboard.js", { body: dashboardJs, type: JS }],
  ["api.js", { body: apiJs, type: JS }],
  ["charts.js", { body: chartsJs, type: JS }],
  ["examples.js", { body: examplesJs, type: JS }],
  ["experiments.js", { body: experimentsJs, type: JS }],
  ["budget.js", { body: budgetJs, type: JS }],
  ["versions.js", { body: versionsJs, type: JS }],
  ["format.js", { body: formatJs, type: JS }],
  ["overview.js", { body: overviewJs, type: JS }],
  ["dashboard.css", { body: dashboardCss, type: CSS }],
  ["uPlot.iife.min.js", { body: uPlotJs, type: JS }],
  ["uPlot.min.css", { body: uPlotCss, type: CSS }],
]);

// The files never change while the Worker runs: each one's ETag is hashed on its first request (Web
// Crypto is async, so not at module scope), then reused, instead of hono/etag hashing every answer.
const etags = new WeakMap<Asset, Promise<string>>();

/** The asset's strong ETag (its SHA-256, quoted), computed once per isolate. */
export function etagOf(asset: Asset): Promise<string> {
  let etag = etags.get(asset);
  if (!etag) {
    etag = sha256Hex(asset.body).then((hex) => `"${hex}"`);
    etags.set(asset, etag);
  }
  return etag;
}
