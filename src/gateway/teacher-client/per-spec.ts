import type { TeacherSpec } from "../registry/model-definition.ts";
import type { TeacherBindings } from "./adapters.ts";
import { createTeacherClient, type TeacherClient } from "./client.ts";
import type { TeacherConfig } from "./config.ts";
import { TeacherError } from "./types.ts";

/**
 * The client of a model's own teacher (a TeacherSpec from its definition): the gateway's teacher
 * settings (deadline, retries, breaker, concurrency cap, cache TTL) with the spec's protocol, URL, model
 * and key. One client per spec and env object (per isolate in workerd), so the breaker, cache and
 * concurrency cap of one teacher are never another's. The key is read from the env var the spec names
 * at request time; a name that is not set makes every call fail as `not_configured`, saying which.
 */
const clients = new WeakMap<object, Map<string, TeacherClient>>();

/** The value of the Worker secret (or var) called `name`, if it is a non-empty string. */
export function secretOf(env: object, name: string): string | undefined {
  const value: unknown = (env as Record<string, unknown>)[name];
  return typeof value === "string" && value.trim() !== "" ? value : undefined;
}

export function specConfig(defaults: TeacherConfig, spec: TeacherSpec, env: object): TeacherConfig {
  return {
    ...defaults,
    TEACHER_PROTOCOL: spec.protocol,
    TEACHER_URL: spec.url,
    TEACHER_MODEL: spec.model,
    TEACHER_API_KEY: spec.secret === undefined ? undefined : secretOf(env, spec.secret),
  };
}

export function clientForSpec(
  spec: TeacherSpec,
  defaults: TeacherConfig,
  env: TeacherBindings & object,
): TeacherClient {
  let byEnv = clients.get(env);
  if (!byEnv) {
    byEnv = new Map();
    clients.set(env, byEnv);
  }
  const key = JSON.stringify([spec, defaults]);
  let client = byEnv.get(key);
  if (!client) {
    const config = specConfig(defaults, spec, env);
    const missing =
      spec.secret !== undefined && config.TEACHER_API_KEY === undefined
        ? new TeacherError("not_configured", `the teacher's secret ${spec.secret} is not set`)
        : undefined;
    client = createTeacherClient(config, env, missing);
    byEnv.set(key, client);
  }
  return client;
}
