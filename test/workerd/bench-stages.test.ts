import * as ort from "onnxruntime-web/wasm";
import { afterEach, describe, expect, it, vi } from "vitest";
import { createApp } from "../../src/gateway/app.ts";
import { STAGES_OFF_HEADER, type StageMemo, stagesOff } from "../../src/gateway/stages.ts";
import { envWith, post } from "./gateway-helpers.ts";

/**
 * The stage switch of `npm run bench:http` (src/gateway/stages.ts): production's app ignores the header
 * the bench entry reads, and an app given a switch replays exactly the stages it names.
 */
const env = envWith({ AUDIT_RATE: "0", TEACHER_CACHE_TTL_S: "0" });
const body = (text: string) => ({ model: "clinc150", text, options: { teacher: "never" } });

// InferenceSession is typed as a factory, but it is the class every session is an instance of.
const sessionClass = ort.InferenceSession as unknown as { prototype: ort.InferenceSession };

afterEach(() => {
  vi.restoreAllMocks();
});

async function labelOf(
  app: ReturnType<typeof createApp>,
  text: string,
  headers: Record<string, string> = {},
) {
  const res = await app.request("/v1/classify", post(body(text), headers), env);
  expect(res.status, await res.clone().text()).toBe(200);
  const json = (await res.json()) as { results: { label: string }[] };
  return json.results[0]?.label;
}

async function requestsCounted(app: ReturnType<typeof createApp>): Promise<boolean> {
  const text = await (await app.request("/metrics", {}, env)).text();
  return /^apprentice_requests_total\{/m.test(text);
}

describe("stage switch", () => {
  it("is not read by the production app: every stage runs whatever the header says", async () => {
    const app = createApp();
    const run = vi.spyOn(sessionClass.prototype, "run");
    const off = { [STAGES_OFF_HEADER]: "parse,featurise,inference,routing,telemetry,trail" };
    expect(await labelOf(app, "what is my credit score", off)).toBe("credit_score");
    expect(await labelOf(app, "what is my credit score", off)).toBe("credit_score");
    expect(run).toHaveBeenCalledTimes(2);
    expect(await requestsCounted(app)).toBe(true);
  });

  it("replays the named stages per input and runs the others", async () => {
    const memo: StageMemo = new Map();
    const app = createApp({ stages: () => stagesOff(new Set(["inference", "telemetry"]), memo) });
    const run = vi.spyOn(sessionClass.prototype, "run");
    expect(await labelOf(app, "what is my credit score")).toBe("credit_score");
    expect(await labelOf(app, "what is my credit score")).toBe("credit_score");
    expect(run).toHaveBeenCalledTimes(1);
    // Another text is another input: computed, not the first one's answer.
    expect(await labelOf(app, "set an alarm for 7am")).toBe("alarm");
    expect(run).toHaveBeenCalledTimes(2);
    expect(await requestsCounted(app)).toBe(false);
  });
});
