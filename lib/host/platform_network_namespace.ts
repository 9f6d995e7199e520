/**
 * The `platform_network` namespace (docs/ABI.md, docs/NETWORK.md):
 * `http_request(req_ptr, req_len, out_ptr, out_cap) -> i64`, an HTTP request
 * under the `NetworkPolicy` carried by the plugin's `network:http` token.
 *
 * An async host function: it answers with a Promise, so a plugin importing
 * it runs with JSPI or in a worker. Everything that needs no network —
 * reading the request, checking the out buffer, parsing, the policy's
 * header and size rules — happens before the Promise exists, so -3 (and a
 * -2 or -4 from those checks) always means nothing was sent; the Promise
 * itself never rejects.
 *
 * Result codes: the JSON response's size (output protocol) when a response
 * came; -2 refused by the policy (also at a redirect hop); -3 malformed;
 * -4 over a size or count limit; -1 the host name does not resolve; -5 the
 * deadline passed; -6 the network failed (connection refused, TLS, reset).
 *
 * @module
 */
import type { AuditDetail } from "../audit/audit_event.ts";
import { sendHttpRequest } from "../net/http_client.ts";
import type { HttpClientOptions, HttpHop, HttpOutcome } from "../net/http_client.ts";
import { compileNetworkPolicy, networkPolicyOf } from "../net/policy.ts";
import type { CompiledNetworkPolicy, NetworkPolicy } from "../net/policy.ts";
import { HTTP_REQUEST_LIMITS, parseHttpRequest } from "../net/request.ts";
import { encodeHttpResponse } from "../net/response.ts";
import type { NetworkState } from "../net/state.ts";
import { AbiCode } from "./abi_codes.ts";
import { Capabilities, isCapabilityToken } from "./capabilities.ts";
import type { CapabilityToken } from "./capabilities.ts";
import { defineRegistrar } from "./registrar.ts";
import type { HostCallContext, HostFunction, HostFunctionRegistrar } from "./registrar.ts";

/** What the host learns about one `http_request` that parsed. */
export interface NetworkEvent {
  pluginId: string;
  method: string;
  /** `host:port` of the first hop. */
  host: string;
  /** How it ended (see `HttpOutcome` in lib/net/http_client.ts). */
  outcome: HttpOutcome["kind"];
  /** The final response status, when one came. */
  status?: number;
  /** Why it was refused or failed. */
  reason?: string;
}

/** Receives a {@linkcode NetworkEvent} per request; keep it quick. */
export type NetworkObserver = (event: NetworkEvent) => void;

/** What the namespace needs from its sandbox. */
export interface PlatformNetworkDeps {
  /** The sandbox's request counter (`createNetworkState()`), behind `maxRequests`. */
  state: NetworkState;
  /** Host-side client settings: name resolution, extra trusted CAs. */
  client?: HttpClientOptions;
  /** Told about each request, e.g. so a CLI can explain a refusal. */
  observer?: NetworkObserver;
}

const CODE_OF: Record<Exclude<HttpOutcome["kind"], "response">, number> = {
  invalid: AbiCode.INVALID_ARGUMENT,
  denied: AbiCode.PERMISSION_DENIED,
  limit: AbiCode.LIMIT_EXCEEDED,
  not_found: AbiCode.NOT_FOUND,
  timeout: AbiCode.TIMEOUT,
  failed: AbiCode.UNAVAILABLE,
};

// A token's scope is frozen at grant(), so its compiled policy never changes.
const compiledByToken = new WeakMap<CapabilityToken, CompiledNetworkPolicy>();

function policyFor(token: CapabilityToken | undefined): CompiledNetworkPolicy {
  const cached = token === undefined ? undefined : compiledByToken.get(token);
  if (cached !== undefined) return cached;
  const compiled = compileNetworkPolicy(networkPolicyOf(token?.scope as Partial<NetworkPolicy> | undefined));
  if (token !== undefined) compiledByToken.set(token, compiled);
  return compiled;
}

/**
 * Checks the policy of every `network:http` token among `tokens`, so that a
 * host mistake fails the load instead of a later call.
 *
 * @throws {SandboxError} `InvalidArgument` naming the bad field.
 */
export function validateNetworkGrants(tokens: Iterable<unknown>): void {
  for (const token of tokens) {
    if (isCapabilityToken(token) && token.capability === Capabilities.NetworkHttp) policyFor(token);
  }
}

function notify(observer: NetworkObserver | undefined, event: NetworkEvent): void {
  if (observer === undefined) return;
  try {
    observer(event);
  } catch (err) {
    // A faulty observer must not change what the guest is told (the request may have been sent).
    console.error(`wasm-sandbox: the network observer threw: ${String(err instanceof Error ? err.message : err)}`);
  }
}

/** The audit detail of a request: method, host, status, byte counts and decision; never a path, body or header value. */
function detailOf(method: string, host: string, outcome: HttpOutcome): AuditDetail {
  const { hops } = outcome;
  const last: HttpHop | undefined = hops[hops.length - 1];
  const refused = outcome.kind === "invalid" || outcome.kind === "denied" || outcome.kind === "limit";
  const detail: Record<string, AuditDetail[string]> = {
    method,
    host,
    status: last?.status ?? null,
    bytesSent: hops.reduce((sum, hop) => sum + hop.bytesSent, 0),
    bytesReceived: hops.reduce((sum, hop) => sum + hop.bytesReceived, 0),
    decision: refused ? "deny" : "allow",
    outcome: outcome.kind,
  };
  if (last?.address !== undefined) detail.address = last.address;
  // Redirects: every hop, so the record shows where the request went.
  if (hops.length > 1) {
    detail.hops = hops.map((hop) => `${hop.method} ${hop.host}${hop.address ? ` ${hop.address}` : ""} ${hop.status ?? "-"}`);
  }
  return detail;
}

function finish(ctx: HostCallContext, deps: PlatformNetworkDeps, outcome: HttpOutcome, method: string, host: string, outPtr: number, outCap: number): bigint {
  ctx.annotate(detailOf(method, host, outcome));
  const event: NetworkEvent = { pluginId: ctx.pluginId, method, host, outcome: outcome.kind };
  if (outcome.kind !== "response") {
    ctx.explain(outcome.reason);
    const status = outcome.hops[outcome.hops.length - 1]?.status;
    notify(deps.observer, { ...event, ...(status === undefined ? {} : { status }), reason: outcome.reason });
    return BigInt(CODE_OF[outcome.kind]);
  }
  notify(deps.observer, { ...event, status: outcome.response.status });
  return ctx.respond(encodeHttpResponse(outcome.response), outPtr, outCap);
}

function hostOf(url: URL): string {
  return `${url.hostname}:${url.port === "" ? (url.protocol === "https:" ? 443 : 80) : url.port}`;
}

/** The `http_request` host function of one sandbox. */
export function httpRequestFunction(deps: PlatformNetworkDeps): HostFunction {
  return {
    params: ["i32", "i32", "i32", "i32"],
    results: ["i64"],
    capability: Capabilities.NetworkHttp,
    async: true,
    call(ctx, reqPtr: number, reqLen: number, outPtr: number, outCap: number): bigint | Promise<bigint> {
      if (reqLen >>> 0 > HTTP_REQUEST_LIMITS.documentBytes) {
        ctx.explain(`the request is ${reqLen >>> 0} bytes, more than ${HTTP_REQUEST_LIMITS.documentBytes}`);
        ctx.annotate({ decision: "deny", outcome: "limit" });
        return BigInt(AbiCode.LIMIT_EXCEEDED);
      }
      const bytes = ctx.memory.read(reqPtr, reqLen); // out of bounds: InvalidArgument → -3
      // The whole out buffer is checked before anything is sent, so -3 always means "nothing was sent".
      ctx.memory.check(outPtr, outCap);
      const parsed = parseHttpRequest(bytes);
      if (parsed.kind !== "ok") {
        ctx.explain(parsed.reason);
        ctx.annotate({ decision: "deny", outcome: parsed.kind === "too_large" ? "limit" : "invalid" });
        return BigInt(parsed.kind === "too_large" ? AbiCode.LIMIT_EXCEEDED : AbiCode.INVALID_ARGUMENT);
      }
      const { request } = parsed;
      let compiled: CompiledNetworkPolicy;
      try {
        compiled = policyFor(ctx.token);
      } catch (err) {
        // The host's policy is at fault, not the guest's request: not -3.
        ctx.explain(`the network:http token's policy is invalid: ${(err as Error).message}`);
        return BigInt(AbiCode.UNAVAILABLE);
      }
      const method = request.method;
      const host = hostOf(request.url);
      return sendHttpRequest(request, compiled, deps.state, deps.client).then(
        (outcome) => finish(ctx, deps, outcome, method, host, outPtr, outCap),
        (err) => {
          // sendHttpRequest does not throw for anything the guest or the network does; this is a host bug.
          ctx.annotate({ method, host, status: null, decision: "allow", outcome: "failed" });
          ctx.explain(`the http client failed: ${String((err as Error)?.message ?? err)}`);
          return BigInt(AbiCode.UNAVAILABLE);
        },
      );
    },
  };
}

/**
 * The `platform_network` registrar.
 *
 * @example
 * ```ts
 * const state = createNetworkState();
 * const network = platformNetworkNamespace({ state });
 * ```
 */
export function platformNetworkNamespace(deps: PlatformNetworkDeps): HostFunctionRegistrar {
  return defineRegistrar("platform_network", { http_request: httpRequestFunction(deps) });
}
