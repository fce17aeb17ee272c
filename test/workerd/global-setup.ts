import type { TestProject } from "vitest/node";
import { startTeacherServer, type TeacherServer } from "../../src/teacher/server.ts";

/**
 * Runs in Node before the workerd project: starts real local teacher servers over the shipped models,
 * so the Worker's teacher adapters are tested against a real HTTP peer. Tests read the URLs with
 * `inject("teachers")`.
 */
export interface TeacherUrls {
  /** Healthy, no added latency. */
  healthy: string;
  /** Answers every inference with 503. */
  failing: string;
  /** Adds 3 s before every answer: longer than any deadline the tests use. */
  slow: string;
}

declare module "vitest" {
  export interface ProvidedContext {
    teachers: TeacherUrls;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const servers: TeacherServer[] = await Promise.all([
    startTeacherServer({ port: 0 }),
    startTeacherServer({ port: 0, failRate: 1 }),
    startTeacherServer({ port: 0, latencyMs: 3000, closeTimeoutMs: 0 }),
  ]);
  const [healthy, failing, slow] = servers.map((s) => s.url) as [string, string, string];
  project.provide("teachers", { healthy, failing, slow });
  return async () => {
    await Promise.all(servers.map((s) => s.close()));
  };
}
