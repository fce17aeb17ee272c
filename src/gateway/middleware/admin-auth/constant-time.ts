/**
 * Token comparison whose time does not depend on where the strings differ, nor on their lengths: both
 * are hashed with SHA-256 first (equal-length digests, and a guess learns nothing from how far a
 * comparison ran), then the digests are compared in full. workerd's crypto.subtle.timingSafeEqual does
 * the last step where it exists; the XOR loop is the portable fallback.
 */
export function timingSafeEqualBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i]! ^ b[i]!;
  return diff === 0;
}

type SubtleWithTimingSafeEqual = SubtleCrypto & {
  timingSafeEqual?: (a: ArrayBuffer | ArrayBufferView, b: ArrayBuffer | ArrayBufferView) => boolean;
};

const encoder = new TextEncoder();

async function sha256(text: string): Promise<Uint8Array> {
  return new Uint8Array(await crypto.subtle.digest("SHA-256", encoder.encode(text)));
}

export async function constantTimeEqual(a: string, b: string): Promise<boolean> {
  const [da, db] = await Promise.all([sha256(a), sha256(b)]);
  const subtle = crypto.subtle as SubtleWithTimingSafeEqual;
  return subtle.timingSafeEqual ? subtle.timingSafeEqual(da, db) : timingSafeEqualBytes(da, db);
}
