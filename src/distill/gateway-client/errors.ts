import { ApiErrorBody } from "./schemas.ts";

/** A non-2xx answer, with the gateway's error code when it sent the contract's error body. */
export class GatewayError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** Turns a non-2xx answer into a GatewayError that says what to do about the common ones. */
export async function errorOf(res: Response, method: string, path: string): Promise<GatewayError> {
  const text = await res.text().catch(() => "");
  let code = `http_${res.status}`;
  let message = text.slice(0, 300);
  try {
    const body = ApiErrorBody.parse(JSON.parse(text));
    code = body.error.code;
    message = body.error.message;
  } catch {
    // not the contract's error body: keep the raw text
  }
  const hint =
    res.status === 401 || res.status === 403
      ? " (check --admin-token / ADMIN_TOKEN)"
      : code === "admin_disabled"
        ? " (the gateway's ADMIN_TOKEN is unset or too weak)"
        : "";
  return new GatewayError(res.status, code, `${method} ${path}: ${res.status} ${code}: ${message}${hint}`);
}
