import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";

/**
 * Real traffic for tests over a running stack: CLINC150 test texts through /v1/classify, and a second
 * clinc150 version uploaded through the admin API (the shipped package under a new version).
 */
export interface Sent {
  /** Answers (one per text). */
  answers: number;
  /** Answers not from the confident student (teacher, cache or degraded): each is a hard example. */
  escalated: number;
}

/**
 * Every `every`-th distinct text of CLINC150's test and out-of-scope test splits, in batches of 20; the
 * first `atTeacher` texts with options.teacher "always", the rest "auto".
 */
export async function sendClincTraffic(gatewayUrl: string, every = 25, atTeacher = 40): Promise<Sent> {
  const data = JSON.parse(await readFile("datasets/clinc150/data_full.json", "utf8")) as Record<
    string,
    [string, string][]
  >;
  const pick = (rows: [string, string][] = []) =>
    rows.filter((_, i) => i % every === 0).map(([text]) => text);
  const texts = [...new Set([...pick(data.test), ...pick(data.oos_test)])];
  const sent: Sent = { answers: 0, escalated: 0 };
  for (let i = 0; i < texts.length; i += 20) {
    const res = await fetch(`${gatewayUrl}/v1/classify`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        texts: texts.slice(i, i + 20),
        options: { teacher: i < atTeacher ? "always" : "auto" },
      }),
    });
    if (res.status !== 200) throw new Error(`classify: HTTP ${res.status} ${await res.text()}`);
    const { results } = (await res.json()) as { results: { source: string; degraded?: boolean }[] };
    sent.answers += results.length;
    sent.escalated += results.filter((r) => r.source !== "student" || r.degraded).length;
  }
  return sent;
}

/**
 * Uploads models/clinc150 as `version` (PUT /admin/models/clinc150/versions/{version}), or, given
 * `edit`, the shipped graph as `edit` rewrites it (the manifest then names the new graph).
 */
export async function uploadClincVersion(
  gatewayUrl: string,
  adminToken: string,
  version: string,
  edit?: (graph: Uint8Array) => Uint8Array,
): Promise<void> {
  const manifest = JSON.parse(await readFile("models/clinc150/manifest.json", "utf8"));
  manifest.version = version;
  const shipped = new Uint8Array(await readFile("models/clinc150/student.onnx"));
  const graph = edit ? edit(shipped) : shipped;
  manifest.onnx = {
    ...manifest.onnx,
    bytes: graph.byteLength,
    sha256: createHash("sha256").update(graph).digest("hex"),
  };
  const form = new FormData();
  form.set("manifest", new Blob([JSON.stringify(manifest)], { type: "application/json" }), "manifest.json");
  form.set("onnx", new Blob([graph]), "student.onnx");
  const res = await fetch(`${gatewayUrl}/admin/models/clinc150/versions/${version}`, {
    method: "PUT",
    headers: { authorization: `Bearer ${adminToken}` },
    body: form,
  });
  if (res.status !== 201) throw new Error(`upload: HTTP ${res.status} ${await res.text()}`);
}
