import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { bodyBytes, type FuzzCase } from "../../bench/fuzz/case.ts";
import { problemsOf, totals } from "../../bench/fuzz/check.ts";
import {
  DEV_PROXY_RESTART,
  type Exec,
  Gate,
  httpExec,
  transportGlitch,
  viaNodeHttp,
} from "../../bench/fuzz/exec.ts";
import { firstOfEachKind, runLanes, shrink } from "../../bench/fuzz/run.ts";
import { publicTargets } from "../../bench/fuzz/targets.ts";
import { baseCase, observed, targetContext } from "../helpers/bench-fuzz-fixtures.ts";

/** The fuzz benchmark's runner and sending: lanes, replay and shrinking, the gate, streamed bodies. */

describe("runner", () => {
  const arbitrary = fc.oneof(...publicTargets(targetContext).map((t) => t.arbitrary));
  /**
   * A fake gateway that answers an HTML 500 to every classify body longer than 20 bytes, a JSON 400 (in
   * the path's error shape) otherwise.
   */
  const exec: Exec = async (c) => {
    const size = c.body === null ? 0 : bodyBytes(c.body).length;
    const broken = c.endpoint === "POST /v1/classify" && size > 20;
    const error = c.path.startsWith("/v2") ? '{"error":"m"}' : '{"error":{"code":"c","message":"m"}}';
    return {
      method: c.method,
      path: c.path,
      status: broken ? 500 : 400,
      contentType: broken ? "text/html" : "application/json",
      requestId: "r",
      body: broken ? "<h1>oops</h1>" : error,
    };
  };

  it("runs exactly the asked number of cases over the lanes and remembers each failure's path", async () => {
    const run = await runLanes(arbitrary, { seed: 11, cases: 203, lanes: 4, exec });
    expect(run.cases).toBe(203);
    expect(Object.values(totals(run.counts)).reduce((s, n) => s + n, 0)).toBe(203);
    expect(run.failures.length).toBeGreaterThan(0);
    expect(
      run.failures.every((f) => f.problem.kind === "server_error" && f.endpoint === "POST /v1/classify"),
    ).toBe(true);
    expect(firstOfEachKind(run.failures)).toHaveLength(1);
  });

  it("replays a failure from its path and shrinks it to a minimal case that fails the same way", async () => {
    const run = await runLanes(arbitrary, { seed: 11, cases: 203, lanes: 4, exec });
    const failure = run.failures[run.failures.length - 1]!;
    const shrunk = await shrink(arbitrary, failure, { seed: 11, exec, timeLimitMs: 20_000, occurrences: 1 });
    expect(shrunk.endpoint).toBe("POST /v1/classify");
    expect(shrunk.reproduced).toBe(true);
    const size = (c: FuzzCase) => (c.body === null ? 0 : bodyBytes(c.body).length);
    expect(size(shrunk.minimal)).toBeGreaterThan(20);
    expect(size(shrunk.minimal)).toBeLessThanOrEqual(size(failure.case));
    expect(shrunk.minimal.body?.kind === "text" ? shrunk.minimal.body.text.length : 0).toBeLessThanOrEqual(
      30,
    );
  });
});

describe("sending", () => {
  it("runs an exclusive task alone: after the shared ones in flight, before any that come later", async () => {
    const gate = new Gate();
    const events: string[] = [];
    let release: () => void = () => {};
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    const first = gate.shared(async () => {
      events.push("shared 1 starts");
      await held;
      events.push("shared 1 ends");
    });
    const alone = gate.exclusive(async () => {
      events.push("exclusive");
    });
    const later = gate.shared(async () => {
      events.push("shared 2");
    });
    release();
    await Promise.all([first, alone, later]);
    expect(events).toEqual(["shared 1 starts", "shared 1 ends", "exclusive", "shared 2"]);
  });

  it("keeps an answer the server sent before closing on a streamed body it refused", async () => {
    // A server that refuses at once, without reading the body, and closes: what a size limit does.
    const server = createServer((req, res) => {
      res.writeHead(413, { "content-type": "application/json", "x-request-id": "r1", connection: "close" });
      res.end('{"error":{"code":"payload_too_large","message":"too big"}}', () => req.socket.destroy());
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      const c: FuzzCase = {
        ...baseCase,
        body: { kind: "repeat", prefix: "", unit: "a", times: 4_000_000, suffix: "" },
        chunked: true,
      };
      const o = await viaNodeHttp(c, url, "t".repeat(40), 10_000);
      expect(o.status).toBe(413);
      expect(o.requestId).toBe("r1");
      expect(problemsOf(o)).toEqual([]);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });
});

describe("the local transport's glitches around streamed bodies", () => {
  it("are told apart from the gateway's own answers", () => {
    expect(
      transportGlitch(
        observed({ status: 503, contentType: "text/plain", body: `${DEV_PROXY_RESTART} Please…` }),
      ),
    ).toBe("dev-proxy 503");
    expect(transportGlitch(observed({ status: 501, body: "ERROR: Unrecognized request method." }))).toBe(
      "kj-http 501",
    );
    expect(transportGlitch(observed({ status: 431, body: "ERROR: header too large." }))).toBe("kj-http 431");
    expect(transportGlitch(observed({ status: 413, body: "" }))).toBe("error with its body lost");
    expect(transportGlitch(observed({ status: null, error: "EPIPE" }))).toBe("no answer");
    // The gateway's own errors, even a 5xx, are never excused.
    expect(
      transportGlitch(observed({ status: 503, body: '{"error":{"code":"not_configured","message":"x"}}' })),
    ).toBeNull();
    expect(
      transportGlitch(observed({ status: 500, contentType: "text/html", body: "<h1>Internal</h1>" })),
    ).toBeNull();
  });

  /** A stand-in for the proxy in front of the gateway: answers a streamed case from a script, flushes with 200. */
  async function withServer(script: string[], run: (url: string) => Promise<void>): Promise<void> {
    const server = createServer((req, res) => {
      req.resume();
      req.on("end", () => {
        if (req.url === "/v1/classify") {
          res.writeHead(200, { "content-type": "application/json", "x-request-id": "f" }).end("{}");
          return;
        }
        const next = script.shift() ?? "json413";
        if (next === "proxy503")
          res.writeHead(503, { "content-type": "text/plain" }).end(`${DEV_PROXY_RESTART} Please try again.`);
        else if (next === "json503")
          res
            .writeHead(503, { "content-type": "application/json", "x-request-id": "r" })
            .end('{"error":{"code":"not_configured","message":"x"}}');
        else
          res
            .writeHead(413, { "content-type": "application/json", "x-request-id": "r" })
            .end('{"error":{"code":"payload_too_large","message":"x"}}');
      });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    try {
      await run(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  }
  const streamedCase: FuzzCase = {
    ...baseCase,
    path: "/x",
    body: { kind: "text", text: "{}" },
    chunked: true,
  };

  it("sends a streamed case again after a glitch, and checks the first clean answer", async () => {
    await withServer(["proxy503", "proxy503", "json413"], async (url) => {
      const http = httpExec(url, "t".repeat(40));
      const o = await http.exec(streamedCase);
      expect(o.status).toBe(413);
      expect(http.stats().streamRetries).toEqual({ "dev-proxy 503": 2 });
      expect(http.stats().flushFailures).toEqual([]);
    });
  });

  it("never retries the gateway's own error, so it fails the checks", async () => {
    await withServer(["json503", "json413"], async (url) => {
      const http = httpExec(url, "t".repeat(40));
      const o = await http.exec(streamedCase);
      expect(problemsOf(o).map((p) => p.kind)).toEqual(["server_error"]);
      expect(http.stats().streamRetries).toEqual({});
    });
  });
});
