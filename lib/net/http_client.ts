/**
 * The HTTP client behind `platform_network.http_request`: a well-formed
 * request is checked against the policy (headers, body size, scheme,
 * method, host and port), its host resolved and every address checked
 * (resolve.ts), counted against `maxRequests`, sent (exchange.ts), and each
 * redirect hop — when the policy follows redirects at all — goes through
 * the same checks again. The outcome says what happened for the ABI code
 * and for the audit record: per hop, the method, host, address, status and
 * byte counts, never a body or a header value.
 *
 * @module
 */
import { exchange } from "./exchange.ts";
import type { ExchangeResponse } from "./exchange.ts";
import { RESERVED_REQUEST_HEADERS, refusalFor } from "./policy.ts";
import type { CompiledNetworkPolicy } from "./policy.ts";
import type { HttpRequest } from "./request.ts";
import { resolveTarget, systemLookup } from "./resolve.ts";
import type { HostLookup, ResolveOutcome } from "./resolve.ts";
import type { NetworkState } from "./state.ts";

/** Host-side settings of the client (not the guest's, not the policy's). */
export interface HttpClientOptions {
  /** Name resolution; the system resolver by default. */
  lookup?: HostLookup;
  /** Extra trusted CA certificates (PEM) for https, e.g. a private CA of the host's own services. */
  ca?: string;
}

/** One request as sent (or refused) on the way: what the audit record keeps. */
export interface HttpHop {
  method: string;
  /** `host:port` as the URL names it. */
  host: string;
  /** The address connected to, when it got that far. */
  address?: string;
  /** The response status, when one came. */
  status?: number;
  /** Request body bytes sent. */
  bytesSent: number;
  /** Response body bytes received (kept). */
  bytesReceived: number;
}

/** The guest-facing result of a request that got a response. */
export interface HttpResponse {
  status: number;
  headers: Record<string, string>;
  body: Uint8Array;
  /** The body was cut at the policy's `maxResponseBytes`. */
  truncated: boolean;
  /** From the first hop's start to the last response's end. */
  durationMs: number;
  /** The URL of the final response (after redirects). */
  url: string;
  /** Redirects followed. */
  redirects: number;
}

/**
 * How a request ended. Apart from `response`, `reason` says why (for the
 * audit record and the host, never the guest):
 * - `invalid`: malformed (nothing was sent);
 * - `denied`: the policy refused it — before anything was sent, or at a redirect hop;
 * - `limit`: a size or count limit (body, `maxRequests`, `maxRedirects`);
 * - `not_found`: the host name does not resolve;
 * - `timeout`: the deadline passed;
 * - `failed`: the network failed (refused connection, TLS, reset, bad response).
 */
export type HttpOutcome =
  | { kind: "response"; response: HttpResponse; hops: HttpHop[] }
  | { kind: "invalid" | "denied" | "limit" | "not_found" | "timeout" | "failed"; reason: string; hops: HttpHop[] };

const REDIRECTS = new Set([301, 302, 303, 307, 308]);
/** Headers that carry the guest's credentials for one origin: never forwarded to another. */
const ORIGIN_BOUND_HEADERS = new Set(["authorization", "cookie"]);

function hostOf(url: URL): string {
  return `${url.hostname}:${url.port === "" ? (url.protocol === "https:" ? 443 : 80) : url.port}`;
}

/** Header, body and method problems that need no network: checked once, before the first hop. */
function requestRefusal(request: HttpRequest, compiled: CompiledNetworkPolicy): { kind: "invalid" | "denied" | "limit"; reason: string } | undefined {
  for (const [name] of request.headers) {
    if (RESERVED_REQUEST_HEADERS.has(name) || name.startsWith("proxy-")) {
      return { kind: "invalid", reason: `the header "${name}" is set by the client, never by the plugin` };
    }
    if (!compiled.headers.has(name)) return { kind: "denied", reason: `the header "${name}" is not on the policy's allowed request headers` };
  }
  if (request.body.byteLength > compiled.policy.maxRequestBytes) {
    return { kind: "limit", reason: `the request body is ${request.body.byteLength} bytes, more than the policy's ${compiled.policy.maxRequestBytes}` };
  }
  return undefined;
}

function withDeadline<T>(promise: Promise<T>, deadline: number, late: T): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const expiry = new Promise<T>((resolve) => {
    timer = setTimeout(() => resolve(late), Math.max(0, deadline - performance.now()));
  });
  return Promise.race([promise, expiry]).finally(() => clearTimeout(timer));
}

/** The next hop of a redirect, or a refusal. */
function redirectTarget(from: URL, location: string | undefined): URL | string {
  if (location === undefined) return "the redirect has no Location";
  let next: URL;
  try {
    next = new URL(location, from);
  } catch {
    return "the redirect's Location does not parse";
  }
  if (next.protocol !== "http:" && next.protocol !== "https:") return `the redirect goes to a ${next.protocol.slice(0, -1)} URL`;
  if (next.username !== "" || next.password !== "") return "the redirect's Location carries a user name or password";
  next.hash = "";
  return next;
}

/**
 * Sends `request` under `compiled`, counting each request sent in `state`.
 * Never throws for anything the guest or the network does.
 *
 * @example
 * ```ts
 * const compiled = compileNetworkPolicy({ ...defaultNetworkPolicy(), allowedHosts: ["api.example.com"] });
 * const parsed = parseHttpRequest(bytes);
 * if (parsed.kind === "ok") {
 *   const outcome = await sendHttpRequest(parsed.request, compiled, createNetworkState());
 * }
 * ```
 */
export async function sendHttpRequest(
  request: HttpRequest,
  compiled: CompiledNetworkPolicy,
  state: NetworkState,
  options: HttpClientOptions = {},
): Promise<HttpOutcome> {
  const hops: HttpHop[] = [];
  const refused = requestRefusal(request, compiled);
  if (refused) return { ...refused, hops };
  const { policy } = compiled;
  const lookup = options.lookup ?? systemLookup;
  const started = performance.now();
  const deadline = started + Math.min(policy.timeoutMs, request.timeoutMs ?? Infinity);
  let { url, method, body } = request;
  let headers = request.headers;

  for (let redirects = 0;; redirects++) {
    const hop: HttpHop = { method, host: hostOf(url), bytesSent: 0, bytesReceived: 0 };
    hops.push(hop);
    const refusal = refusalFor(compiled, url, method);
    if (refusal !== undefined) return { kind: "denied", reason: redirects === 0 ? refusal : `redirect ${redirects}: ${refusal}`, hops };
    const timedOut: ResolveOutcome = { kind: "failed", reason: "timeout" };
    const resolved = await withDeadline(resolveTarget(url, compiled.privateAllowed, lookup), deadline, timedOut);
    if (resolved === timedOut) return { kind: "timeout", reason: `resolving ${url.hostname} took longer than the deadline`, hops };
    if (resolved.kind !== "ok") return { kind: resolved.kind, reason: resolved.reason, hops };
    const reservation = state.tryReserve(policy.maxRequests);
    if (reservation === undefined) {
      return { kind: "limit", reason: `the sandbox has sent its ${policy.maxRequests} requests (maxRequests)`, hops };
    }
    const outcome = await exchange({
      url,
      addresses: resolved.addresses,
      method,
      headers,
      body,
      maxResponseBytes: policy.maxResponseBytes,
      deadline,
      ...(options.ca === undefined ? {} : { ca: options.ca }),
    });
    if (outcome.kind === "unreachable" || (outcome.kind === "timeout" && !outcome.connected)) {
      reservation.release(); // no connection: nothing was sent, nothing counts
    } else {
      hop.address = outcome.address;
      hop.bytesSent = body.byteLength;
    }
    if (outcome.kind === "unreachable") return { kind: "failed", reason: `could not connect to ${hop.host}: ${outcome.reason}`, hops };
    if (outcome.kind === "timeout") return { kind: "timeout", reason: `no response from ${hop.host} within the deadline`, hops };
    if (outcome.kind === "failed") return { kind: "failed", reason: `${hop.host}: ${outcome.reason}`, hops };
    hop.status = outcome.status;
    hop.bytesReceived = outcome.body.byteLength;

    if (!REDIRECTS.has(outcome.status) || policy.maxRedirects === 0) {
      return { kind: "response", response: responseOf(outcome, url, redirects, started), hops };
    }
    if (redirects >= policy.maxRedirects) {
      return { kind: "limit", reason: `more than ${policy.maxRedirects} redirects (maxRedirects)`, hops };
    }
    const next = redirectTarget(url, outcome.headers.location);
    if (typeof next === "string") return { kind: "denied", reason: `redirect ${redirects + 1}: ${next}`, hops };
    // As browsers do: 303 turns any method but HEAD into GET, 301/302 turn POST into GET; the body goes with it.
    if ((outcome.status === 303 && method !== "HEAD") || ((outcome.status === 301 || outcome.status === 302) && method === "POST")) {
      method = "GET";
      body = new Uint8Array(0);
      headers = headers.filter(([name]) => name !== "content-type");
    }
    if (next.origin !== url.origin) headers = headers.filter(([name]) => !ORIGIN_BOUND_HEADERS.has(name));
    url = next;
  }
}

function responseOf(outcome: ExchangeResponse, url: URL, redirects: number, started: number): HttpResponse {
  return {
    status: outcome.status,
    headers: outcome.headers,
    body: outcome.body,
    truncated: outcome.truncated,
    durationMs: Math.round((performance.now() - started) * 1000) / 1000,
    url: url.href,
    redirects,
  };
}
