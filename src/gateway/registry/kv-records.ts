import type { z } from "zod";
import { ApiError, describeIssues } from "../errors.ts";

/**
 * JSON values in the registry's KV namespace, one per model name under a prefix (pointers, model
 * definitions), validated by their schema on the way in and out.
 */
export class KvRecordStore<S extends z.ZodType> {
  constructor(
    private readonly kv: KVNamespace,
    private readonly prefix: string,
    private readonly schema: S,
    /** What a value is, for messages: "pointer", "definition". */
    private readonly what: string,
  ) {}

  /** The stored value, or null. A value that does not validate is a 500: it was not written by us. */
  async get(name: string): Promise<z.output<S> | null> {
    const raw = await this.kv.get(`${this.prefix}${name}`, "json");
    if (raw === null) return null;
    const parsed = this.schema.safeParse(raw);
    if (!parsed.success)
      throw new ApiError(
        500,
        "internal",
        `the stored ${this.what} of "${name}" is invalid: ${describeIssues(parsed.error)}`,
      );
    return parsed.data;
  }

  async put(name: string, value: z.output<S>): Promise<void> {
    await this.kv.put(`${this.prefix}${name}`, JSON.stringify(this.schema.parse(value)));
  }

  async names(): Promise<string[]> {
    const names: string[] = [];
    let cursor: string | undefined;
    do {
      const page: KVNamespaceListResult<unknown> = await this.kv.list({
        prefix: this.prefix,
        ...(cursor ? { cursor } : {}),
      });
      for (const key of page.keys) names.push(key.name.slice(this.prefix.length));
      cursor = page.list_complete ? undefined : page.cursor;
    } while (cursor);
    return names;
  }

  /**
   * Every valid value, for serving. One that does not validate is logged and left out rather than
   * failing every request of the isolate.
   */
  async all(): Promise<Map<string, z.output<S>>> {
    const names = await this.names();
    const values = await Promise.all(names.map((name) => this.kv.get(`${this.prefix}${name}`, "json")));
    const found = new Map<string, z.output<S>>();
    names.forEach((name, i) => {
      if (values[i] === null) return; // deleted between list and get
      const parsed = this.schema.safeParse(values[i]);
      if (parsed.success) found.set(name, parsed.data);
      else
        console.error(
          `registry: ignoring the invalid ${this.what} of "${name}": ${describeIssues(parsed.error)}`,
        );
    });
    return found;
  }
}
