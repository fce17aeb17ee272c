import { describe, expect, it } from "vitest";
import { parseTeacherConfig, teacherModelFor } from "./config.ts";

describe("teacher config from env vars", () => {
  it("has documented defaults", () => {
    expect(parseTeacherConfig({})).toEqual({
      TEACHER_PROTOCOL: "kserve-v2",
      TEACHER_TIMEOUT_MS: 1500,
      TEACHER_MAX_BODY_BYTES: 4 * 1024 * 1024,
      TEACHER_RETRIES: 1,
      TEACHER_MAX_CONCURRENCY: 16,
      BREAKER_FAILURES: 5,
      BREAKER_COOLDOWN_MS: 10_000,
      TEACHER_CACHE_TTL_S: 3600,
    });
  });

  it("coerces wrangler var strings (and numbers), trims the URL's trailing slashes, treats '' as unset", () => {
    const config = parseTeacherConfig({
      TEACHER_URL: "https://teacher.example/base//",
      TEACHER_PROTOCOL: "openai",
      TEACHER_MODEL: "",
      TEACHER_TIMEOUT_MS: "800",
      TEACHER_RETRIES: 0,
      TEACHER_CACHE_TTL_S: "0",
      UNRELATED: "ignored",
    });
    expect(config).toMatchObject({
      TEACHER_URL: "https://teacher.example/base",
      TEACHER_PROTOCOL: "openai",
      TEACHER_TIMEOUT_MS: 800,
      TEACHER_RETRIES: 0,
      TEACHER_CACHE_TTL_S: 0,
    });
    expect(config.TEACHER_MODEL).toBeUndefined();
    expect(teacherModelFor(config, "sms-spam")).toBe("sms-spam");
    expect(teacherModelFor({ ...config, TEACHER_MODEL: "gpt-x" }, "sms-spam")).toBe("gpt-x");
  });

  it.each([
    { TEACHER_URL: "ftp://teacher.example" },
    { TEACHER_URL: "not a url" },
    { TEACHER_PROTOCOL: "grpc" },
    { TEACHER_TIMEOUT_MS: "fast" },
    { TEACHER_RETRIES: "-1" },
    { BREAKER_FAILURES: "0" },
    { TEACHER_MAX_CONCURRENCY: "1.5" },
    { TEACHER_MAX_BODY_BYTES: "100" },
    { TEACHER_MAX_BODY_BYTES: String(128 * 1024 * 1024) },
  ])("rejects %o", (env) => {
    expect(() => parseTeacherConfig(env)).toThrow();
  });
});
