/**
 * HTTP requests from a guest: the untrusted JSON of
 * `platform_network.http_request`, parsed and validated strictly (unknown
 * fields, wrong types, bad UTF-8, CR/LF in headers, userinfo in URLs and
 * non-http(s) schemes are refused, never repaired). Policy checks come later
 * (policy.ts); this file only decides whether the request is well formed and
 * within the fixed size caps.
 *
 * @module
 */
import { HTTP_TOKEN } from "./policy.ts";

/** A well-formed request. */
export interface HttpRequest {
  /** Upper case. */
  method: string;
  /** Parsed by WHATWG `URL`; http or https, no userinfo, fragment removed. */
  url: URL;
  /** Header names in lower case, values as given, in the guest's order. */
  headers: Array<[string, string]>;
  body: Uint8Array;
  /** The guest's own deadline; the policy's `timeoutMs` applies when absent or larger. */
  timeoutMs?: number;
}

/** Fixed caps on what a request may contain (the policy's `maxRequestBytes` caps the body further). */
export const HTTP_REQUEST_LIMITS = {
  /** The whole JSON document. */
  documentBytes: 128 * 1024 * 1024,
  urlBytes: 8192,
  headers: 64,
  headerNameBytes: 256,
  headerValueBytes: 8192,
  /** The largest `timeout_ms` accepted (the policy usually caps it far lower). */
  timeoutMs: 3_600_000,
} as const;

/** Why a request was not accepted: malformed (INVALID_ARGUMENT) or over a size cap (LIMIT_EXCEEDED). */
export type RequestProblem = { kind: "invalid" | "too_large"; reason: string };

/** The outcome of {@linkcode parseHttpRequest}. */
export type ParsedHttpRequest = { kind: "ok"; request: HttpRequest } | RequestProblem;

class Problem extends Error {
  constructor(readonly kind: "invalid" | "too_large", reason: string) {
    super(reason);
  }
}

const invalid = (reason: string): never => {
  throw new Problem("invalid", `invalid http request: ${reason}`);
};
const tooLarge = (reason: string): never => {
  throw new Problem("too_large", `http request too large: ${reason}`);
};

const KNOWN_FIELDS = new Set(["method", "url", "headers", "body", "body_base64", "timeout_ms"]);
const encoder = new TextEncoder();
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
// Field values: visible characters, spaces and tabs (RFC 9110 §5.5); no CR, LF or NUL. Only
// Latin-1 beyond ASCII, as node:http sends values as Latin-1 and refuses anything wider.
const HEADER_VALUE = /^[\t\x20-\x7e\x80-\xff]*$/;
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function checkText(field: string, value: unknown): string {
  if (typeof value !== "string") invalid(`"${field}" must be a string`);
  if (LONE_SURROGATE.test(value as string)) invalid(`"${field}" contains a lone surrogate`);
  return value as string;
}

function parseUrl(value: unknown): URL {
  const text = checkText("url", value);
  if (text.length > HTTP_REQUEST_LIMITS.urlBytes || encoder.encode(text).byteLength > HTTP_REQUEST_LIMITS.urlBytes) {
    tooLarge(`"url" is longer than ${HTTP_REQUEST_LIMITS.urlBytes} bytes`);
  }
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return invalid(`"url" does not parse as an absolute URL`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") invalid(`the scheme ${url.protocol.slice(0, -1)} is not http or https`);
  // Credentials in a URL would leave as an Authorization header nobody listed; refuse them outright.
  if (url.username !== "" || url.password !== "") invalid(`"url" carries a user name or password`);
  if (url.hostname === "") invalid(`"url" has no host`);
  url.hash = ""; // a fragment is never sent
  return url;
}

function parseHeaders(value: unknown): Array<[string, string]> {
  if (value === undefined) return [];
  if (!isPlainObject(value)) invalid(`"headers" must be an object of strings`);
  const entries = Object.entries(value as Record<string, unknown>);
  if (entries.length > HTTP_REQUEST_LIMITS.headers) tooLarge(`more than ${HTTP_REQUEST_LIMITS.headers} headers`);
  const seen = new Set<string>();
  return entries.map(([name, v]) => {
    if (name.length > HTTP_REQUEST_LIMITS.headerNameBytes) tooLarge(`a header name is longer than ${HTTP_REQUEST_LIMITS.headerNameBytes} bytes`);
    if (!HTTP_TOKEN.test(name)) invalid(`header name "${name.slice(0, 64)}" is not an HTTP token`);
    const lower = name.toLowerCase();
    if (seen.has(lower)) invalid(`header "${lower}" is given twice`);
    seen.add(lower);
    const text = checkText(`headers.${lower}`, v);
    if (encoder.encode(text).byteLength > HTTP_REQUEST_LIMITS.headerValueBytes) {
      tooLarge(`header "${lower}" is longer than ${HTTP_REQUEST_LIMITS.headerValueBytes} bytes`);
    }
    // CR or LF would let the guest write headers (or a second request) of its own choosing.
    if (!HEADER_VALUE.test(text)) invalid(`header "${lower}" contains a control character (CR, LF, NUL...)`);
    return [lower, text];
  });
}

function parseBody(value: Record<string, unknown>): Uint8Array {
  if (value.body !== undefined && value.body_base64 !== undefined) invalid(`give "body" or "body_base64", not both`);
  if (value.body !== undefined) return encoder.encode(checkText("body", value.body));
  if (value.body_base64 === undefined) return new Uint8Array(0);
  const text = checkText("body_base64", value.body_base64);
  if (!BASE64.test(text)) invalid(`"body_base64" is not padded standard base64`);
  const binary = atob(text);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

/**
 * Validates an already-decoded request object. JSON field names are
 * snake_case; unknown fields are refused.
 */
export function validateHttpRequest(value: unknown): ParsedHttpRequest {
  try {
    if (!isPlainObject(value)) invalid("the request must be a JSON object");
    const fields = value as Record<string, unknown>;
    for (const key of Object.keys(fields)) if (!KNOWN_FIELDS.has(key)) invalid(`unknown field "${key.slice(0, 64)}"`);
    const method = fields.method === undefined ? "GET" : checkText("method", fields.method);
    if (!HTTP_TOKEN.test(method) || method.length > 32) invalid(`"method" is not an HTTP method`);
    const url = parseUrl(fields.url);
    const headers = parseHeaders(fields.headers);
    const body = parseBody(fields);
    const request: HttpRequest = { method: method.toUpperCase(), url, headers, body };
    if (fields.timeout_ms !== undefined) {
      const t = fields.timeout_ms;
      if (typeof t !== "number" || !Number.isSafeInteger(t) || t < 1 || t > HTTP_REQUEST_LIMITS.timeoutMs) {
        invalid(`"timeout_ms" must be an integer in [1, ${HTTP_REQUEST_LIMITS.timeoutMs}]`);
      }
      request.timeoutMs = t as number;
    }
    return { kind: "ok", request };
  } catch (err) {
    if (err instanceof Problem) return { kind: err.kind, reason: err.message };
    throw err;
  }
}

/**
 * Parses a request from untrusted UTF-8 JSON bytes.
 *
 * @example
 * ```ts
 * const parsed = parseHttpRequest(new TextEncoder().encode('{"url":"https://api.example.com/v1"}'));
 * if (parsed.kind === "ok") console.log(parsed.request.method); // "GET"
 * ```
 */
export function parseHttpRequest(bytes: Uint8Array): ParsedHttpRequest {
  if (bytes.byteLength > HTTP_REQUEST_LIMITS.documentBytes) {
    return { kind: "too_large", reason: `http request too large: ${bytes.byteLength} bytes, more than ${HTTP_REQUEST_LIMITS.documentBytes}` };
  }
  let text: string;
  try {
    // fatal: bad UTF-8 is refused, not replaced; ignoreBOM keeps a BOM, which JSON.parse then refuses.
    text = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true }).decode(bytes);
  } catch {
    return { kind: "invalid", reason: "invalid http request: not valid UTF-8" };
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    return { kind: "invalid", reason: `invalid http request: malformed JSON: ${(err as Error).message}` };
  }
  return validateHttpRequest(value);
}
