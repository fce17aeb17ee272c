import { join } from "node:path";
import { freePort, startStack } from "../../src/stack.ts";
import { directGatewayUrl } from "../common/direct-socket.ts";
import { STUDENT_TEXT } from "./traffic.ts";

/**
 * The gateway's first answer in a fresh isolate: a new `wrangler dev` (so a new workerd) per sample,
 * ready once /healthz answers, then one student-only POST /v1/classify timed from Node on the Worker's
 * own socket. `entries` are measured in turn, sample by sample, so load drifts fall on each alike.
 */
export async function coldFirstAnswers(
  entries: Record<string, string | undefined>,
  samples: number,
  stateDir: string,
  model: string,
  vars: Record<string, string>,
): Promise<Record<string, number[]>> {
  const out: Record<string, number[]> = Object.fromEntries(Object.keys(entries).map((k) => [k, []]));
  for (let i = 0; i < samples; i++) {
    for (const [name, entry] of Object.entries(entries)) {
      const port = await freePort();
      const stack = await startStack({
        port,
        teacher: { port: await freePort() },
        vars,
        persistTo: join(stateDir, "cold"),
        stdio: process.env.BENCH_VERBOSE ? "inherit" : "ignore",
        readyTimeoutMs: 120_000,
        ...(entry ? { entry } : {}),
      });
      try {
        const direct = (stack.pid && (await directGatewayUrl(stack.pid, port))) || stack.gatewayUrl;
        const started = performance.now();
        const response = await fetch(`${direct}/v1/classify`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ model, text: STUDENT_TEXT, options: { teacher: "never" } }),
        });
        await response.arrayBuffer();
        if (response.status !== 200)
          throw new Error(`${name}: first /v1/classify answered ${response.status}`);
        out[name]?.push(performance.now() - started);
      } finally {
        await stack.stop();
      }
    }
  }
  return out;
}
