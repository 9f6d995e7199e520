/**
 * One HTTP exchange with an address that was already checked: the client
 * connects to the IP itself (never to the name, so nothing resolves it a
 * second time), sends the Host header and, for https, the TLS server name
 * of the URL, so virtual hosting and certificate checks use the name while
 * the socket goes only where the policy looked. `node:http` / `node:https`
 * behave the same on Node and Deno here (tests/net/exchange_test.ts checks
 * the Host header, the server name and the certificate check on both).
 *
 * No ambient credentials: a fresh agent per request (no shared sockets, no
 * proxy configuration from the environment), no cookie jar, and only the
 * headers the caller passes.
 *
 * @module
 */
import http from "node:http";
import https from "node:https";
import { concatBytes } from "../memory/concat_bytes.ts";
import { portOf } from "./policy.ts";
import type { ResolvedAddress } from "./resolve.ts";

/** What to send, and where. */
export interface ExchangeRequest {
  url: URL;
  /** Checked addresses of the URL's host, tried in order while connecting fails. */
  addresses: readonly ResolvedAddress[];
  method: string;
  /** Lower-case names, already allowed by the policy. */
  headers: ReadonlyArray<readonly [string, string]>;
  body: Uint8Array;
  /** Body bytes kept; the rest is not read and the result says `truncated`. */
  maxResponseBytes: number;
  /** `performance.now()` value after which the exchange is abandoned. */
  deadline: number;
  /** Extra trusted CA certificates (PEM), on top of the runtime's. */
  ca?: string;
}

/** A response (its body possibly cut at `maxResponseBytes`). */
export interface ExchangeResponse {
  kind: "response";
  status: number;
  /** Lower-case names; repeated headers joined with ", ". */
  headers: Record<string, string>;
  body: Uint8Array;
  truncated: boolean;
  /** The address the request went to. */
  address: string;
}

/**
 * How an exchange ended:
 * - `response`;
 * - `unreachable`: no address accepted a connection, so nothing was sent;
 * - `failed`: the connection was made but the exchange broke (TLS, reset, bad response);
 * - `timeout`: the deadline passed (the request may have been sent).
 */
export type ExchangeOutcome =
  | ExchangeResponse
  | { kind: "unreachable"; reason: string }
  | { kind: "failed"; reason: string; address: string }
  | { kind: "timeout"; connected: boolean; address?: string };

function joinHeaders(raw: http.IncomingHttpHeaders): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(raw)) {
    if (value === undefined) continue;
    out[name] = Array.isArray(value) ? value.join(", ") : value;
  }
  return out;
}

function attempt(request: ExchangeRequest, target: ResolvedAddress): Promise<ExchangeOutcome> {
  const { url } = request;
  const https_ = url.protocol === "https:";
  const headers: Record<string, string> = {};
  for (const [name, value] of request.headers) headers[name] = value;
  headers.host = url.host; // the name (and a non-default port) as the URL gave it
  if (request.body.byteLength > 0 || !["GET", "HEAD", "DELETE", "OPTIONS"].includes(request.method)) {
    headers["content-length"] = String(request.body.byteLength);
  }
  const bracketed = url.hostname.startsWith("[");
  const isIpHost = bracketed || /^[0-9.]+$/.test(url.hostname);
  const options: https.RequestOptions = {
    host: target.address,
    family: target.family,
    port: portOf(url),
    method: request.method,
    path: `${url.pathname}${url.search}`,
    headers,
    agent: false, // a fresh agent: no pooled sockets shared with other code, no proxy settings
    setHost: false,
  };
  // TLS checks the certificate against the name; an IP host is checked against the IP (SNI carries no IPs).
  if (https_ && !isIpHost) options.servername = url.hostname.endsWith(".") ? url.hostname.slice(0, -1) : url.hostname;
  if (https_ && request.ca !== undefined) options.ca = request.ca;

  return new Promise((resolve) => {
    let connected = false;
    let settled = false;
    const finish = (outcome: ExchangeOutcome) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(outcome);
    };
    const req = (https_ ? https : http).request(options, (res) => {
      const chunks: Uint8Array[] = [];
      let kept = 0;
      let truncated = false;
      const done = () =>
        finish({
          kind: "response",
          status: res.statusCode ?? 0,
          headers: joinHeaders(res.headers),
          body: concatBytes(chunks),
          truncated,
          address: target.address,
        });
      res.on("data", (chunk: Uint8Array) => {
        if (settled) return;
        const room = request.maxResponseBytes - kept;
        if (chunk.byteLength > room) {
          if (room > 0) chunks.push(chunk.subarray(0, room));
          kept += Math.max(room, 0);
          truncated = true;
          done();
          // The rest is never read: closing the connection stops the server from sending it.
          req.destroy();
          return;
        }
        chunks.push(chunk);
        kept += chunk.byteLength;
      });
      res.on("end", done);
      res.on("error", (err) => finish({ kind: "failed", reason: describe(err), address: target.address }));
      res.on("close", () => {
        if (!res.complete) finish({ kind: "failed", reason: "the connection closed before the response ended", address: target.address });
      });
    });
    req.on("socket", (socket) => {
      socket.once("connect", () => {
        connected = true;
      });
    });
    req.on("error", (err) => {
      if (connected) finish({ kind: "failed", reason: describe(err), address: target.address });
      else finish({ kind: "unreachable", reason: `${target.address}: ${describe(err)}` });
    });
    const timer = setTimeout(() => {
      finish({ kind: "timeout", connected, address: target.address });
      req.destroy();
    }, Math.max(0, request.deadline - performance.now()));
    req.end(request.body);
  });
}

function describe(err: unknown): string {
  const e = err as { code?: unknown; message?: unknown };
  const code = typeof e?.code === "string" ? `${e.code}: ` : "";
  return `${code}${String(e?.message ?? err)}`;
}

/**
 * Sends one request to the first of `request.addresses` that accepts a
 * connection. A later address is tried only when connecting failed, so the
 * request is never sent twice.
 */
export async function exchange(request: ExchangeRequest): Promise<ExchangeOutcome> {
  const reasons: string[] = [];
  for (const target of request.addresses) {
    if (performance.now() >= request.deadline) return { kind: "timeout", connected: false };
    const outcome = await attempt(request, target);
    if (outcome.kind !== "unreachable") return outcome;
    reasons.push(outcome.reason);
  }
  return { kind: "unreachable", reason: reasons.join("; ") };
}
