/**
 * SHA-256 as lowercase hex, through Web Crypto, which workerd and Node 20 both have: hard-example ids,
 * teacher-cache keys, API-key hashes and the checksums of model files all use this one.
 */
export async function sha256Hex(data: string | ArrayBuffer | Uint8Array): Promise<string> {
  const bytes = typeof data === "string" ? new TextEncoder().encode(data) : data;
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
  let hex = "";
  for (const b of digest) hex += b.toString(16).padStart(2, "0");
  return hex;
}
