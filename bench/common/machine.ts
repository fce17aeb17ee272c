import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { availableParallelism, cpus, loadavg } from "node:os";
import { z } from "zod";

const PackageJson = z.object({ version: z.string() });

/** The machine block every bench result file carries. */
export const MachineSchema = z.object({
  nproc: z.number().int(),
  cpu: z.string(),
  node: z.string(),
  packages: z.record(z.string(), z.string()),
  commit: z.string().nullable(),
});
export type Machine = z.infer<typeof MachineSchema>;

/** Where the figures were measured, as BENCHMARKS.md states it. */
export function machine(packages: readonly string[]): Machine {
  const versions: Record<string, string> = {};
  for (const name of packages) {
    try {
      const pkg = PackageJson.safeParse(
        JSON.parse(readFileSync(`node_modules/${name}/package.json`, "utf8")),
      );
      if (pkg.success) versions[name] = pkg.data.version;
    } catch {
      // not installed: left out
    }
  }
  let commit: string | null = null;
  try {
    commit = execFileSync("git", ["rev-parse", "HEAD"], { encoding: "utf8" }).trim();
  } catch {
    // not a git checkout
  }
  return {
    nproc: availableParallelism(),
    cpu: cpus()[0]?.model.trim() ?? "unknown",
    node: process.version,
    packages: versions,
    commit,
  };
}

/** What every result file opens with: the command as rerun (flags included), the day and the machine. */
export function provenance(
  script: string,
  args: readonly string[],
  packages: readonly string[],
): { command: string; date: string; machine: Machine } {
  return {
    command: [`npm run ${script}`, ...(args.length > 0 ? ["--", ...args] : [])].join(" "),
    date: new Date().toISOString().slice(0, 10),
    machine: machine(packages),
  };
}

/** The load average (1, 5, 15 min) to two decimals: what a shared machine carried besides a run. */
export function loadAverage(): number[] {
  return loadavg().map((x) => Math.round(x * 100) / 100);
}
