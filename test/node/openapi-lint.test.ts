import { execFile } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { createApp } from "../../src/gateway/app.ts";

/**
 * The gateway's /openapi.json under Redocly's `recommended` rules (redocly.yaml), as `npm run
 * lint:openapi` runs it: no errors, for a deployment with client keys off and one with them on. Warnings
 * are printed, not failed: the ones left are operations with no 4xx answer (e.g. GET /healthz), which
 * would need an invented error to silence. The node project loads the gateway's module types through
 * test/helpers/wrangler-modules.ts, so the document is built from the real app.
 */
const Problem = z.object({
  ruleId: z.string(),
  severity: z.enum(["error", "warn"]),
  message: z.string(),
  location: z.array(z.object({ pointer: z.string() })),
});
const Report = z.object({
  totals: z.object({ errors: z.number(), warnings: z.number() }),
  problems: z.array(Problem),
});
type Report = z.infer<typeof Report>;

// Offline and quiet: no telemetry and no update check, whatever the config file says.
const OFFLINE = { REDOCLY_TELEMETRY: "off", REDOCLY_SUPPRESS_UPDATE_NOTICE: "true" };

async function lint(file: string): Promise<Report> {
  const args = ["lint", file, "--config", "redocly.yaml", "--format", "json", "--max-problems", "1000"];
  // redocly exits 1 when there are errors; the report on stdout says which.
  const { stdout } = await promisify(execFile)("node_modules/.bin/redocly", args, {
    env: { ...process.env, ...OFFLINE },
  }).catch((error: { stdout?: string }) => ({ stdout: error.stdout ?? "" }));
  return Report.parse(JSON.parse(stdout));
}

const describeProblem = (p: z.infer<typeof Problem>) =>
  `${p.severity} ${p.ruleId} at ${p.location[0]?.pointer}: ${p.message}`;

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "apprentice-openapi-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("Redocly's recommended rules on /openapi.json", () => {
  it.each([
    ["client keys off", { CLIENT_AUTH: "off" }],
    ["client keys on", { CLIENT_AUTH: "api-key" }],
  ])("has no errors with %s", async (name, env) => {
    const res = await createApp().request("/openapi.json", {}, env);
    expect(res.status).toBe(200);
    const file = join(dir, `${name.replaceAll(" ", "-")}.json`);
    await writeFile(file, await res.text());
    const report = await lint(file);
    const warnings = report.problems.filter((p) => p.severity === "warn");
    if (warnings.length > 0) console.warn(`${name}:\n${warnings.map(describeProblem).join("\n")}`);
    const errors = report.problems.filter((p) => p.severity === "error").map(describeProblem);
    expect(errors).toEqual([]);
    expect(report.totals.errors).toBe(0);
  });
});
