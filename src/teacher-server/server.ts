import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { z } from "zod";
import { AnswersSpec, Fallback, readReplays } from "./answers/load.ts";
import { Chaos } from "./chaos.ts";
import type { TeacherContext } from "./context.ts";
import { readTeacherPackages } from "./load.ts";
import { createModels } from "./model.ts";
import { openaiRoutes } from "./openai.ts";
import { createRouter } from "./router.ts";
import { v2Routes } from "./v2.ts";

/**
 * The local reference teacher: serves models/<name>/teacher over KServe V2 and OpenAI chat completions
 * (see v2.ts, openai.ts). Used by `npm run teacher`, `npm start`, tests and benchmarks in place of a
 * remote teacher.
 */
export const TeacherServerOptions = z.object({
  /** Package dirs (models/x or models/x/teacher); default: every package under `modelsRoot`. */
  models: z.array(z.string().min(1)).optional(),
  modelsRoot: z.string().min(1).default("models"),
  host: z.string().min(1).default("127.0.0.1"),
  /** 0 picks a free port; the chosen one is in the result. */
  port: z.number().int().min(0).max(65535).default(8788),
  /** Added before every inference answer (successful or simulated failure). */
  latencyMs: z.number().int().min(0).max(600_000).default(0),
  /** Share of inference requests answered with 503. */
  failRate: z.number().min(0).max(1).default(0),
  /** Seed of the failure draws, so a run's failures repeat. */
  seed: z.number().int().min(0).max(0xffffffff).default(0),
  maxBatch: z.number().int().min(1).max(100_000).default(256),
  /** Recorded answers replayed instead of a model's own (answers/file.ts has the file format). */
  answers: z.array(AnswersSpec).default([]),
  /** What a model with answers does with a text that has none (answers/replay.ts). */
  answersFallback: Fallback.default("none"),
  maxBodyBytes: z
    .number()
    .int()
    .min(1)
    .default(1024 * 1024),
  /** How long close() lets in-flight requests finish before cutting their connections. */
  closeTimeoutMs: z.number().int().min(0).default(5000),
});
export type TeacherServerOptions = z.input<typeof TeacherServerOptions> & {
  /** Unexpected (500) errors; default: written to stderr. */
  onError?: (error: unknown) => void;
};

export interface TeacherServer {
  /** e.g. http://127.0.0.1:8788, without a trailing slash. */
  url: string;
  port: number;
  /** Names of the served models, in serving order. */
  models: string[];
  /** The models that replay recorded answers: answers file and how many distinct texts it answers. */
  answers: { model: string; file: string; texts: number }[];
  /** Stops accepting requests, lets in-flight ones finish (up to closeTimeoutMs), releases sessions. */
  close(): Promise<void>;
}

function listen(server: Server, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
}

function urlHost(host: string): string {
  return host.includes(":") ? `[${host}]` : host;
}

export async function startTeacherServer(input: TeacherServerOptions = {}): Promise<TeacherServer> {
  const options = TeacherServerOptions.parse(input);
  const onError = input.onError ?? ((error: unknown) => console.error("teacher: internal error:", error));
  const packages = await readTeacherPackages(options.models, options.modelsRoot);
  const replays = await readReplays(options.answers, options.answersFallback, packages);
  const models = await createModels(packages, replays);
  const releaseAll = () => Promise.all([...models.values()].map((m) => m.release()));

  let closing = false;
  const ctx: TeacherContext = {
    models,
    chaos: new Chaos(options),
    maxBatch: options.maxBatch,
    isReady: () => !closing,
  };
  const handle = createRouter([...v2Routes(ctx), ...openaiRoutes(ctx)], {
    maxBodyBytes: options.maxBodyBytes,
    onError,
    closing: () => closing,
  });
  const server = createServer((req, res) => {
    void handle(req, res);
  });
  try {
    await listen(server, options.port, options.host);
  } catch (error) {
    await releaseAll();
    throw error;
  }
  const { port } = server.address() as AddressInfo;

  let closed: Promise<void> | null = null;
  const close = (): Promise<void> => {
    closed ??= (async () => {
      closing = true;
      const stopped = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      const cut = setTimeout(() => server.closeAllConnections(), options.closeTimeoutMs);
      cut.unref();
      await stopped;
      clearTimeout(cut);
      // Only now: a request still running would otherwise find its session gone.
      await releaseAll();
    })();
    return closed;
  };

  const answers = [...replays.values()].map((r) => ({
    model: r.model,
    file: r.book.file,
    texts: r.book.size,
  }));
  return { url: `http://${urlHost(options.host)}:${port}`, port, models: [...models.keys()], answers, close };
}
