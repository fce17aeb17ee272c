import type { FuzzCase } from "../../bench/fuzz/case.ts";
import type { Observed } from "../../bench/fuzz/check.ts";
import type { TargetContext } from "../../bench/fuzz/targets.ts";

/** Shared fixtures of the fuzz benchmark's tests (test/node/bench-fuzz*.test.ts). */

/** An answer as the fuzz observes it: a proper JSON 400 unless overridden. */
export const observed = (over: Partial<Observed>): Observed => ({
  method: "POST",
  path: "/v1/classify",
  status: 400,
  contentType: "application/json; charset=UTF-8",
  requestId: "r",
  body: '{"error":{"code":"invalid_request","message":"no"}}',
  ...over,
});

/** A classify case with no body. */
export const baseCase: FuzzCase = {
  endpoint: "POST /v1/classify",
  method: "POST",
  path: "/v1/classify",
  headers: { "content-type": "application/json" },
  auth: "admin",
  body: null,
  chunked: false,
};

/** A small serving context: both shipped models, tiny size limits. */
export const targetContext: TargetContext = {
  models: ["clinc150", "sms-spam"],
  versions: ["1.0.0"],
  maxBodyBytes: 1024,
  maxUploadBytes: 2048,
  manifest: { name: "clinc150", version: "1.0.0", onnx: { sha256: "0", bytes: 1 } },
};
