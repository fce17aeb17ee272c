import { execFile } from "node:child_process";
import { createServer } from "node:net";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { TEST_TOKEN } from "../../src/distill/gateway-client/testing.ts";

/** `npm run loop` refusals: usage errors exit 2, a gateway it cannot reach exits 1, both saying why. */
const run = promisify(execFile);
const loop = (...args: string[]) =>
  run(process.execPath, ["--import", "tsx", "src/distill/cli/loop.ts", ...args], {
    env: { ...process.env, ADMIN_TOKEN: TEST_TOKEN },
  });

/** A port nothing listens on: bound, then closed. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe("npm run loop: refusals", () => {
  it.each([
    [["--name", "m", "--once"], "--gateway URL is required"],
    [["--gateway", "http://127.0.0.1:1", "--once"], "--name is required"],
    [
      ["--gateway", "http://127.0.0.1:1", "--name", "m", "--every", "10min"],
      '--every is a duration such as 90s, 10m or 1h, got "10min"',
    ],
    [
      ["--gateway", "http://127.0.0.1:1", "--name", "m", "--min-new", "0"],
      "--min-new is a whole number from 1 to 100000",
    ],
    [
      ["--gateway", "http://127.0.0.1:1", "--name", "m", "--canary", "100"],
      "--canary is a whole number from 1 to 99",
    ],
    [
      ["--gateway", "http://127.0.0.1:1", "--name", "m", "--version", "2.0.0"],
      "--version is not a loop flag",
    ],
  ])(
    "exit 2 for %j",
    async (args, message) => {
      await expect(loop(...args)).rejects.toMatchObject({
        code: 2,
        stderr: expect.stringContaining(message),
      });
    },
    30_000,
  );

  it("exits 1 naming the request when the gateway cannot be reached", async () => {
    const url = `http://127.0.0.1:${await closedPort()}`;
    await expect(loop("--gateway", url, "--name", "m", "--once")).rejects.toMatchObject({
      code: 1,
      stderr: expect.stringMatching(
        /error: POST http:\/\/127\.0\.0\.1:\d+\/admin\/models\/m\/lease: fetch failed/,
      ),
    });
  }, 30_000);
});
