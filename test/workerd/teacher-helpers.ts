import { inject } from "vitest";
import { parseTeacherConfig, type TeacherConfig } from "../../src/gateway/teacher-client/config.ts";

/** Shared by the teacher test files: config from env-style strings, and the fixture server's counter. */
export const teachers = () => inject("teachers");

export function teacherConfig(env: Record<string, string>): TeacherConfig {
  // Generous breaker and no retry by default, so a test sees exactly the behaviour it sets up.
  return parseTeacherConfig({ TEACHER_RETRIES: "0", BREAKER_FAILURES: "1000", ...env });
}

let serial = 0;
/** A fixture key no other test uses: `{mode}.{unique}`. */
export function fixtureKey(mode: string): string {
  serial += 1;
  return `${mode}.${Date.now().toString(36)}${serial}`;
}

/** The fixture URL for a key; `rest` is the model for http-json, empty for kserve-v2/openai bases. */
export function fixtureUrl(key: string, rest = ""): string {
  return `${teachers().fixture}/k/${key}${rest}`;
}

export async function fixtureCount(key: string): Promise<number> {
  const res = await fetch(`${teachers().fixture}/count/${key}`);
  return ((await res.json()) as { count: number }).count;
}

export async function setFixtureMode(key: string, mode: string): Promise<void> {
  await fetch(`${teachers().fixture}/mode/${key}`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ mode }),
  });
}
