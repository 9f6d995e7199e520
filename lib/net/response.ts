/**
 * The guest-facing JSON of an HTTP response (docs/NETWORK.md): `body` when
 * the body is valid UTF-8, else `body_base64`, so text stays readable and
 * binary stays exact.
 *
 * @module
 */
import { toBase64 } from "../exec/outcome.ts";
import type { HttpResponse } from "./http_client.ts";

const strictUtf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

/**
 * Encodes a response for the guest.
 *
 * @example
 * ```ts
 * if (outcome.kind === "response") ctx.respond(encodeHttpResponse(outcome.response), outPtr, outCap);
 * ```
 */
export function encodeHttpResponse(response: HttpResponse): Uint8Array {
  const json: Record<string, unknown> = { status: response.status, headers: response.headers };
  try {
    json.body = strictUtf8.decode(response.body);
  } catch {
    json.body_base64 = toBase64(response.body);
  }
  json.truncated = response.truncated;
  json.duration_ms = response.durationMs;
  json.url = response.url;
  json.redirects = response.redirects;
  return new TextEncoder().encode(JSON.stringify(json));
}
