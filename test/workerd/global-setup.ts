import type { TestProject } from "vitest/node";
import { startTeacherServer, type TeacherServer } from "../../src/teacher-server/server.ts";
import { closedPortUrl, startFixtureServer } from "./fixture-teacher.ts";

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
  /**
   * An http-json teacher over the healthy one, faults by mode and request counts; see fixture-teacher.ts.
   */
  fixture: string;
  /** Nothing listens here: connections are refused. */
  refused: string;
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
  const fixture = await startFixtureServer(healthy);
  const refused = await closedPortUrl();
  project.provide("teachers", { healthy, failing, slow, fixture: fixture.url, refused });
  return async () => {
    await fixture.close();
    await Promise.all(servers.map((s) => s.close()));
  };
}
