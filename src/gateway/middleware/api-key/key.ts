import { sha256Hex } from "../../../core/digest.ts";

/**
 * A client API key: "apk_" and 32 random bytes in base64url (43 characters). Shown once when made; the
 * gateway keeps only its SHA-256, so a leaked KV namespace gives away no working key. A plain hash (no
 * salt, no slow KDF) is enough: the keys are 256-bit random, not guessable passwords.
 */
const KEY_PREFIX = "apk_";
const KEY_PATTERN = /^apk_[A-Za-z0-9_-]{43}$/;

function base64url(bytes: Uint8Array): string {
  return btoa(String.fromCharCode(...bytes))
    .replaceAll("+", "-")
    .replaceAll("/", "_")
    .replace(/=+$/, "");
}

export function newKey(): string {
  return `${KEY_PREFIX}${base64url(crypto.getRandomValues(new Uint8Array(32)))}`;
}

/** Whether a presented string could be a key at all; anything else is refused without a KV read. */
export const isWellFormedKey = (value: string): boolean => KEY_PATTERN.test(value);

/** The key's SHA-256 in hex: what KV stores and looks up. */
export const keyHash = (key: string): Promise<string> => sha256Hex(key);

/** A key's public id: 16 random hex digits, unrelated to the key itself. */
export function newKeyId(): string {
  return Array.from(crypto.getRandomValues(new Uint8Array(8)), (b) => b.toString(16).padStart(2, "0")).join(
    "",
  );
}
export const KEY_ID_PATTERN = /^[0-9a-f]{16}$/;
