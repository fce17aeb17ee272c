import { describe, expect, it } from "vitest";
import { configFor, parseConfig } from "./config.ts";
import { ApiError } from "./errors.ts";

describe("gateway configuration", () => {
  it("has the documented defaults", () => {
    const config = parseConfig({});
    expect(config.defaultModel).toBe("clinc150");
    expect(config.limits).toEqual({ maxTextChars: 4000, maxBatch: 64, maxBodyBytes: 65536 });
    expect(config.threshold).toEqual({ min: 0, max: 1 });
    // The teacher part comes from the teacher side's schema.
    expect(config.teacher.TEACHER_PROTOCOL).toBe("kserve-v2");
    expect(config.teacher.TEACHER_URL).toBeUndefined();
  });

  it("reads strings (.dev.vars, secrets) and numbers (TOML [vars]) alike", () => {
    const config = parseConfig({
      DEFAULT_MODEL: "sms-spam",
      MAX_TEXT_CHARS: " 100 ",
      MAX_BATCH: 8,
      MAX_BODY_BYTES: "2048",
      THRESHOLD_MIN: "0.1",
      THRESHOLD_MAX: 0.9,
      TEACHER_URL: "http://127.0.0.1:8788/",
    });
    expect(config.defaultModel).toBe("sms-spam");
    expect(config.limits).toEqual({ maxTextChars: 100, maxBatch: 8, maxBodyBytes: 2048 });
    expect(config.threshold).toEqual({ min: 0.1, max: 0.9 });
    expect(config.teacher.TEACHER_URL).toBe("http://127.0.0.1:8788");
  });

  it.each([
    [{ MAX_BATCH: "lots" }, "MAX_BATCH"],
    [{ MAX_BATCH: "0" }, "MAX_BATCH"],
    [{ MAX_BATCH: "2.5" }, "MAX_BATCH"],
    [{ MAX_TEXT_CHARS: "" }, "MAX_TEXT_CHARS"],
    [{ MAX_BODY_BYTES: "-1" }, "MAX_BODY_BYTES"],
    [{ THRESHOLD_MIN: "Infinity" }, "THRESHOLD_MIN"],
    [{ THRESHOLD_MIN: "0.8", THRESHOLD_MAX: "0.2" }, "THRESHOLD_MIN"],
    [{ TEACHER_PROTOCOL: "carrier-pigeon" }, "TEACHER_PROTOCOL"],
    // docs/configuration.md: a promotion reaches every isolate within 30 s, so the TTL is capped there.
    [{ REGISTRY_TTL_MS: "30001" }, "REGISTRY_TTL_MS"],
    // KV expires nothing sooner than 60 s: a shorter answer trail cannot be kept.
    [{ FEEDBACK_WINDOW_S: "59" }, "FEEDBACK_WINDOW_S"],
    [{ FEEDBACK_WINDOW_S: "2592001" }, "FEEDBACK_WINDOW_S"],
    [{ FEEDBACK_WINDOW_S: "1.5" }, "FEEDBACK_WINDOW_S"],
    // The trail's batch is written in the requests' ctx.waitUntil: a long wait only hides answers longer.
    [{ FEEDBACK_BATCH_MS: "5001" }, "FEEDBACK_BATCH_MS"],
    [{ FEEDBACK_BATCH_MS: "-1" }, "FEEDBACK_BATCH_MS"],
  ])("rejects %j as config_invalid naming %s", (env, name) => {
    try {
      parseConfig(env);
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(ApiError);
      expect((error as ApiError).status).toBe(500);
      expect((error as ApiError).code).toBe("config_invalid");
      expect((error as ApiError).message).toContain(name);
    }
  });

  it("keeps answers for feedback 24 h by default; 0 keeps none", () => {
    expect(parseConfig({}).feedback.windowS).toBe(86_400);
    expect(parseConfig({ FEEDBACK_WINDOW_S: "0" }).feedback.windowS).toBe(0);
    expect(parseConfig({ FEEDBACK_WINDOW_S: 3600 }).feedback.windowS).toBe(3600);
  });

  it("gathers trail entries 250 ms by default; 0 writes each answer on its own", () => {
    expect(parseConfig({}).feedback.batchMs).toBe(250);
    expect(parseConfig({ FEEDBACK_BATCH_MS: "0" }).feedback.batchMs).toBe(0);
    expect(parseConfig({ FEEDBACK_BATCH_MS: 5000 }).feedback.batchMs).toBe(5000);
  });

  it("trusts registry pointers 10 s by default and at most 30 s", () => {
    expect(parseConfig({}).registry.ttlMs).toBe(10_000);
    expect(parseConfig({ REGISTRY_TTL_MS: "30000" }).registry.ttlMs).toBe(30_000);
    expect(parseConfig({ REGISTRY_TTL_MS: "0" }).registry.ttlMs).toBe(0);
  });

  it("parses once per env object", () => {
    const env = { MAX_BATCH: "3" };
    expect(configFor(env)).toBe(configFor(env));
    expect(configFor({ MAX_BATCH: "3" })).not.toBe(configFor(env));
    expect(configFor(undefined).limits.maxBatch).toBe(64);
  });
});
