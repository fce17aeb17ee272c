import { ApiError, describeIssues } from "../errors.ts";
import { POINTER_PREFIX, pointerKey } from "./keys.ts";
import { Pointer } from "./pointer.ts";

/**
 * The pointers in KV. KV has no transactions: two admins promoting the same model at the same moment
 * race, and the last write wins. Admin changes are rare and made by one operator or one toolkit run, so
 * that is accepted rather than paying for a Durable Object.
 */
export class PointerStore {
  constructor(private readonly kv: KVNamespace) {}

  /** The stored pointer, or null. A value that does not validate is a 500: it was not written by us. */
  async get(name: string): Promise<Pointer | null> {
    const raw = await this.kv.get(pointerKey(name), "json");
    if (raw === null) return null;
    const parsed = Pointer.safeParse(raw);
    if (!parsed.success)
      throw new ApiError(
        500,
        "internal",
        `the stored pointer of "${name}" is invalid: ${describeIssues(parsed.error)}`,
      );
    return parsed.data;
  }

  async put(name: string, pointer: Pointer): Promise<void> {
    await this.kv.put(pointerKey(name), JSON.stringify(Pointer.parse(pointer)));
  }

  async names(): Promise<string[]> {
    const names: string[] = [];
    let cursor: string | undefined;
    do {
      const page: KVNamespaceListResult<unknown> = await this.kv.list({
        prefix: POINTER_PREFIX,
        ...(cursor ? { cursor } : {}),
      });
      for (const key of page.keys) names.push(key.name.slice(POINTER_PREFIX.length));
      cursor = page.list_complete ? undefined : page.cursor;
    } while (cursor);
    return names;
  }

  /**
   * Every valid pointer, for serving. One that does not validate is logged and left out (its model then
   * serves its bundled version) rather than failing every request of the isolate.
   */
  async all(): Promise<Map<string, Pointer>> {
    const names = await this.names();
    const values = await Promise.all(names.map((name) => this.kv.get(pointerKey(name), "json")));
    const pointers = new Map<string, Pointer>();
    names.forEach((name, i) => {
      if (values[i] === null) return; // deleted between list and get
      const parsed = Pointer.safeParse(values[i]);
      if (parsed.success) pointers.set(name, parsed.data);
      else
        console.error(`registry: ignoring the invalid pointer of "${name}": ${describeIssues(parsed.error)}`);
    });
    return pointers;
  }
}
