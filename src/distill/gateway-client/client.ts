import { z } from "zod";
import { FeedbackRecord } from "../../core/feedback.ts";
import { HardExampleRecord, type HardExampleRoute } from "../../core/hard-example.ts";
import { errorOf, GatewayError } from "./errors.ts";
import { parseNdjson } from "./ndjson.ts";
import {
  AdminModel,
  ClassifyAnswer,
  Lease,
  type LiveModel,
  type ModelDefinitionBody,
  ModelDetail,
  ModelList,
  Released,
  type Standing,
  Standings,
  Uploaded,
} from "./schemas.ts";

/** The gateway refuses tokens shorter than this (admin_disabled / 401); checking first saves a round trip. */
export const MIN_ADMIN_TOKEN_CHARS = 32;
/** The largest `limit` the export route accepts. */
export const MAX_EXPORT_LIMIT = 100_000;

export interface HardExampleQuery {
  model: string;
  since?: string;
  route?: HardExampleRoute;
  limit?: number;
}

export { GatewayError };

export const INDEXED_HEADER = "x-hard-examples-indexed";

export interface HardExampleExport {
  indexed: number | null;
  records: AsyncGenerator<HardExampleRecord>;
}

type Fetch = (input: string, init?: RequestInit) => Promise<Response>;

/**
 * The toolkit's side of the gateway's HTTP API: the hard-example export and the model registry
 * (admin, bearer token), and the public model list and classify route. Every body is validated.
 */
export class GatewayClient {
  private readonly base: string;

  constructor(
    baseUrl: string,
    private readonly token: string | null,
    private readonly fetchImpl: Fetch = (input, init) => fetch(input, init),
    private readonly timeoutMs = 120_000,
  ) {
    this.base = baseUrl.replace(/\/+$/, "");
    if (token !== null && token.length < MIN_ADMIN_TOKEN_CHARS)
      throw new Error(`the admin token must be at least ${MIN_ADMIN_TOKEN_CHARS} characters`);
  }

  /**
   * The hard-example records of a model, streamed, each line validated against the core schema.
   * `indexed` is how many the gateway's index matched (its x-hard-examples-indexed header): fewer
   * lines than that means records it could not read and skipped.
   */
  async hardExamples(query: HardExampleQuery): Promise<HardExampleExport> {
    const params = new URLSearchParams({ model: query.model });
    if (query.since !== undefined) params.set("since", query.since);
    if (query.route !== undefined) params.set("route", query.route);
    params.set("limit", String(query.limit ?? MAX_EXPORT_LIMIT));
    const path = `/admin/hard-examples?${params}`;
    const res = await this.request("GET", path, { admin: true });
    if (!res.body) throw new GatewayError(res.status, "empty_body", `GET ${path}: no body`);
    const header = res.headers.get(INDEXED_HEADER);
    const indexed = header !== null && /^[0-9]+$/.test(header) ? Number(header) : null;
    return { indexed, records: parseNdjson(res.body, HardExampleRecord, `GET ${this.base}${path}`) };
  }

  /** How many records the index holds for the query, without reading them (the body is cancelled). */
  async hardExampleCount(query: HardExampleQuery): Promise<number | null> {
    const params = new URLSearchParams({
      model: query.model,
      limit: String(query.limit ?? MAX_EXPORT_LIMIT),
    });
    if (query.since !== undefined) params.set("since", query.since);
    // HEAD: the count is a header; nothing is streamed from R2 only to be thrown away.
    const res = await this.request("HEAD", `/admin/hard-examples?${params}`, { admin: true });
    const header = res.headers.get(INDEXED_HEADER);
    return header !== null && /^[0-9]+$/.test(header) ? Number(header) : null;
  }

  /** All records of an export in memory, with how many the index matched. */
  async allHardExamples(
    query: HardExampleQuery,
  ): Promise<{ indexed: number | null; records: HardExampleRecord[] }> {
    const { indexed, records } = await this.hardExamples(query);
    const all: HardExampleRecord[] = [];
    for await (const record of records) all.push(record);
    return { indexed, records: all };
  }

  /** The model's current feedback records (`GET /admin/feedback`), each validated against the core schema. */
  async feedback(query: { model: string; since?: string }): Promise<FeedbackRecord[]> {
    const params = new URLSearchParams({ model: query.model, limit: String(MAX_EXPORT_LIMIT) });
    if (query.since !== undefined) params.set("since", query.since);
    const path = `/admin/feedback?${params}`;
    const res = await this.request("GET", path, { admin: true });
    if (!res.body) throw new GatewayError(res.status, "empty_body", `GET ${path}: no body`);
    const all: FeedbackRecord[] = [];
    for await (const record of parseNdjson(res.body, FeedbackRecord, `GET ${this.base}${path}`))
      all.push(record);
    return all;
  }

  /** The model as `GET /v1/models` lists it: its live version and shipped evaluation figures. */
  async liveModel(name: string): Promise<LiveModel> {
    const list = await this.json("GET", "/v1/models", ModelList, {});
    const model = list.models.find((m) => m.name === name);
    if (!model)
      throw new GatewayError(404, "unknown_model", `the gateway serves no model "${name}" (GET /v1/models)`);
    return model;
  }

  /** `GET /v1/models/{name}`: the live model with its labels, or null when the gateway serves none (404). */
  async modelDetail(name: string): Promise<ModelDetail | null> {
    try {
      return await this.json("GET", `/v1/models/${encodeURIComponent(name)}`, ModelDetail, {});
    } catch (error) {
      if (error instanceof GatewayError && error.status === 404) return null;
      throw error;
    }
  }

  /** The registry's view of a model, or null when nothing was ever uploaded for it (404). */
  async adminModel(name: string): Promise<AdminModel | null> {
    try {
      return await this.json("GET", `/admin/models/${encodeURIComponent(name)}`, AdminModel, { admin: true });
    } catch (error) {
      if (error instanceof GatewayError && error.status === 404) return null;
      throw error;
    }
  }

  /**
   * Creates (201) or replaces (200) a model from its labels and optional teacher; the gateway validates
   * the definition and says what is wrong with it (400).
   */
  async defineModel(
    name: string,
    definition: ModelDefinitionBody,
  ): Promise<{ created: boolean; model: AdminModel }> {
    const path = `/admin/models/${encodeURIComponent(name)}`;
    const res = await this.request("PUT", path, {
      admin: true,
      body: JSON.stringify(definition),
      json: true,
    });
    const parsed = AdminModel.safeParse(await res.json().catch(() => null));
    if (!parsed.success)
      throw new GatewayError(
        res.status,
        "unexpected_body",
        `PUT ${path}: unexpected answer\n${z.prettifyError(parsed.error)}`,
      );
    return { created: res.status === 201, model: parsed.data };
  }

  /** Uploads a version (multipart: `manifest` JSON text, `onnx` bytes); 409 if it exists. */
  async upload(name: string, version: string, manifestJson: string, onnx: Uint8Array): Promise<Uploaded> {
    const form = new FormData();
    form.set("manifest", new Blob([manifestJson], { type: "application/json" }), "manifest.json");
    form.set("onnx", new Blob([onnx], { type: "application/octet-stream" }), "student.onnx");
    const path = `/admin/models/${encodeURIComponent(name)}/versions/${encodeURIComponent(version)}`;
    return this.json("PUT", path, Uploaded, { admin: true, body: form });
  }

  /** A stored version's file as uploaded (GET /admin/models/{name}/versions/{version}/{file}). */
  async versionFile(
    name: string,
    version: string,
    file: "manifest.json" | "student.onnx",
  ): Promise<Uint8Array> {
    const path = `/admin/models/${encodeURIComponent(name)}/versions/${encodeURIComponent(version)}/${file}`;
    const res = await this.request("GET", path, { admin: true });
    return new Uint8Array(await res.arrayBuffer());
  }

  /** Makes a version live, or a canary taking `canaryPercent` of the traffic. */
  async promote(name: string, version: string, canaryPercent?: number): Promise<Record<string, unknown>> {
    const body = JSON.stringify(
      canaryPercent === undefined ? { version } : { version, canary_percent: canaryPercent },
    );
    return this.json("POST", `/admin/models/${encodeURIComponent(name)}/promote`, AnyObject, {
      admin: true,
      body,
      json: true,
    });
  }

  /** Runs `version` in shadow on `percent` of the requests live serves (PUT /admin/models/{name}/shadow). */
  async setShadow(name: string, version: string, percent: number): Promise<Record<string, unknown>> {
    return this.json("PUT", `/admin/models/${encodeURIComponent(name)}/shadow`, AnyObject, {
      admin: true,
      body: JSON.stringify({ version, percent }),
      json: true,
    });
  }

  /** Stops the model's shadow (DELETE /admin/models/{name}/shadow). */
  async stopShadow(name: string): Promise<Record<string, unknown>> {
    return this.json("DELETE", `/admin/models/${encodeURIComponent(name)}/shadow`, AnyObject, {
      admin: true,
    });
  }

  /** Where the running shadow and canary stand against live (GET /admin/models/{name}/decisions). */
  async standings(name: string): Promise<Standing[]> {
    const path = `/admin/models/${encodeURIComponent(name)}/decisions`;
    return (await this.json("GET", path, Standings, { admin: true })).evidence;
  }

  /**
   * Takes or renews the model's lease for `ttlS` seconds (POST /admin/models/{name}/lease), or says who
   * holds it when another owner does (409 lease_held: the gateway's message names the holder).
   */
  async takeLease(name: string, owner: string, ttlS: number): Promise<Lease | { held: string }> {
    try {
      return await this.json("POST", `/admin/models/${encodeURIComponent(name)}/lease`, Lease, {
        admin: true,
        body: JSON.stringify({ owner, ttl_s: ttlS }),
        json: true,
      });
    } catch (error) {
      if (error instanceof GatewayError && error.code === "lease_held") return { held: error.message };
      throw error;
    }
  }

  /** Releases `owner`'s lease of the model; false when it held none. */
  async releaseLease(name: string, owner: string): Promise<boolean> {
    const path = `/admin/models/${encodeURIComponent(name)}/lease?${new URLSearchParams({ owner })}`;
    return (await this.json("DELETE", path, Released, { admin: true })).released;
  }

  async rollback(name: string): Promise<Record<string, unknown>> {
    return this.json("POST", `/admin/models/${encodeURIComponent(name)}/rollback`, AnyObject, {
      admin: true,
    });
  }

  async classify(
    model: string,
    texts: readonly string[],
    teacher: "auto" | "never" | "always" = "auto",
  ): Promise<ClassifyAnswer> {
    const body = JSON.stringify({ model, texts, options: { teacher } });
    return this.json("POST", "/v1/classify", ClassifyAnswer, { body, json: true });
  }

  private async json<T>(
    method: string,
    path: string,
    schema: z.ZodType<T>,
    init: RequestOptions,
  ): Promise<T> {
    const res = await this.request(method, path, init);
    let raw: unknown;
    try {
      raw = await res.json();
    } catch (error) {
      throw new GatewayError(res.status, "invalid_json", `${method} ${path}: ${(error as Error).message}`);
    }
    const parsed = schema.safeParse(raw);
    if (!parsed.success)
      throw new GatewayError(
        res.status,
        "unexpected_body",
        `${method} ${path}: unexpected answer\n${z.prettifyError(parsed.error)}`,
      );
    return parsed.data;
  }

  private async request(method: string, path: string, init: RequestOptions): Promise<Response> {
    const headers: Record<string, string> = {};
    if (init.admin) {
      if (this.token === null) throw new Error(`${method} ${path} needs an admin token`);
      headers.authorization = `Bearer ${this.token}`;
    }
    if (init.json) headers["content-type"] = "application/json";
    let res: Response;
    try {
      res = await this.fetchImpl(`${this.base}${path}`, {
        method,
        headers,
        ...(init.body !== undefined ? { body: init.body } : {}),
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (error) {
      // fetch says only "fetch failed"; the cause has the useful part (ECONNREFUSED, a timeout).
      const cause = (error as Error).cause;
      const detail = cause instanceof Error ? `${(error as Error).message}: ${cause.message}` : String(error);
      throw new GatewayError(0, "network", `${method} ${this.base}${path}: ${detail}`);
    }
    if (!res.ok) throw await errorOf(res, method, path);
    return res;
  }
}

interface RequestOptions {
  admin?: boolean;
  body?: string | FormData;
  json?: boolean;
}

const AnyObject = z.record(z.string(), z.unknown());
