import type { TeacherConfig } from "./config.ts";
import { httpJsonAdapter } from "./http-json.ts";
import { kserveV2Adapter } from "./kserve-v2.ts";
import { openaiAdapter } from "./openai.ts";
import { type TeacherAdapter, TeacherError } from "./types.ts";
import { type AiBinding, workersAiAdapter } from "./workers-ai.ts";

/** Bindings the teacher side reads from the Worker env. */
export interface TeacherBindings {
  /** Workers AI (`[ai] binding = "AI"` in wrangler.toml), for TEACHER_PROTOCOL=workers-ai. */
  AI?: AiBinding;
}

/**
 * The adapter TEACHER_PROTOCOL names, or a `not_configured` error saying what is missing. Returning the
 * error (not throwing) lets the client turn it into an outcome like any other failure.
 */
export function createAdapter(config: TeacherConfig, env: TeacherBindings): TeacherAdapter | TeacherError {
  const { TEACHER_PROTOCOL: protocol, TEACHER_URL: url, TEACHER_API_KEY: apiKey } = config;
  if (protocol === "workers-ai") {
    if (!env.AI) return new TeacherError("not_configured", "workers-ai needs the AI binding");
    if (!config.TEACHER_MODEL) {
      return new TeacherError("not_configured", "workers-ai needs TEACHER_MODEL (a Workers AI model name)");
    }
    return workersAiAdapter(env.AI);
  }
  if (!url) return new TeacherError("not_configured", `${protocol} needs TEACHER_URL`);
  const http = { apiKey, maxBodyBytes: config.TEACHER_MAX_BODY_BYTES };
  switch (protocol) {
    case "kserve-v2":
      return kserveV2Adapter(url, http);
    case "openai":
      return openaiAdapter(url, http);
    case "http-json":
      return httpJsonAdapter(url, http);
  }
}
