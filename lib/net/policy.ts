/**
 * The network policy a `network:http` token carries: which hosts, ports,
 * schemes and methods a plugin may use, which request headers may leave,
 * the size, time and count limits, and which non-public addresses are opened
 * explicitly. Secure by default: {@linkcode defaultNetworkPolicy} reaches no
 * host. See docs/NETWORK.md.
 *
 * @module
 */
import { SandboxError } from "../errors.ts";
import { parseCidr } from "./ip_address.ts";
import type { Cidr } from "./ip_address.ts";

/** A URL scheme the client speaks. */
export type HttpScheme = "http" | "https";

/** What a plugin may reach over HTTP. Every field is required so that nothing is implied. */
export interface NetworkPolicy {
  /**
   * Hosts a request (and every redirect hop) may go to:
   * `"api.example.com"`, `"*.example.com"` (any subdomain, not the bare
   * name), an IP address (`"203.0.113.7"`, `"[2001:db8::1]"`), each with an
   * optional port (`"api.example.com:8443"`, `"*.example.com:*"` for any
   * port). Without a port only the scheme's default port (80 or 443)
   * matches. Empty: nothing is reachable.
   */
  allowedHosts: string[];
  /** Methods a request may use (upper case). CONNECT, TRACE and TRACK are never allowed. */
  allowedMethods: string[];
  /** Schemes a request may use. */
  allowedSchemes: HttpScheme[];
  /**
   * Request header names (case-insensitive) the guest may send; a request
   * with any other header is refused, not silently stripped. Headers the
   * client sets itself (`host`, `content-length`, `connection`...) and
   * proxy headers can never be listed.
   */
  allowedRequestHeaders: string[];
  /** Largest request body, in bytes (over it: LIMIT_EXCEEDED). */
  maxRequestBytes: number;
  /** Largest response body kept, in bytes: the rest is not read and the response says `truncated`. */
  maxResponseBytes: number;
  /** Wall-clock limit of one `http_request` call, redirects included; a request may only ask for less. */
  timeoutMs: number;
  /** Requests a sandbox may send (each redirect hop counts) before further ones are LIMIT_EXCEEDED. */
  maxRequests: number;
  /** Redirects followed per request, each hop checked against this policy again; 0 hands the 3xx to the guest. */
  maxRedirects: number;
  /**
   * Non-public addresses (loopback, private, link-local, metadata...; see
   * docs/NETWORK.md) that may be connected to anyway, as addresses or CIDR
   * ranges: `["127.0.0.1"]`, `["10.0.0.0/8", "::1"]`. An IPv4 entry also
   * matches the same address wrapped in IPv6 (`::ffff:127.0.0.1`).
   */
  allowPrivate: string[];
}

/** Upper bounds on policy values, so that a typo cannot disable a limit. */
export const NETWORK_POLICY_BOUNDS = {
  maxRequestBytes: 64 * 1024 * 1024,
  maxResponseBytes: 64 * 1024 * 1024,
  timeoutMs: 3_600_000,
  maxRequests: 1_000_000,
  maxRedirects: 20,
} as const;

/** Methods no policy can allow: CONNECT opens a tunnel, TRACE/TRACK echo the request back. */
const FORBIDDEN_METHODS = new Set(["CONNECT", "TRACE", "TRACK"]);

/** Headers the client writes itself, or that would turn the request into something else. */
export const RESERVED_REQUEST_HEADERS: ReadonlySet<string> = new Set([
  "host",
  "content-length",
  "transfer-encoding",
  "connection",
  "keep-alive",
  "upgrade",
  "te",
  "trailer",
  "expect",
  "http2-settings",
]);

/** An HTTP token (RFC 9110 §5.6.2), the syntax of methods and header names. */
export const HTTP_TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

/**
 * A policy that reaches nothing. Copy it and fill in what you allow.
 *
 * @example
 * ```ts
 * const policy = { ...defaultNetworkPolicy(), allowedHosts: ["api.example.com"] };
 * await runtime.loadPlugin("p", bytes, { capabilities: [grant("network:http", policy)] });
 * ```
 */
export function defaultNetworkPolicy(): NetworkPolicy {
  return {
    allowedHosts: [],
    allowedMethods: ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"],
    allowedSchemes: ["https"],
    allowedRequestHeaders: ["accept", "accept-language", "content-type", "user-agent"],
    maxRequestBytes: 1024 * 1024,
    maxResponseBytes: 4 * 1024 * 1024,
    timeoutMs: 30_000,
    maxRequests: 100,
    maxRedirects: 0,
    allowPrivate: [],
  };
}

/** One `allowedHosts` entry, parsed. */
export interface HostPattern {
  /** The lower-case host name or address (IPv6 without brackets); for a wildcard, the suffix after `*.`. */
  host: string;
  wildcard: boolean;
  /** A port, `"*"` for any, or undefined for the scheme's default port. */
  port: number | "*" | undefined;
}

function invalid(message: string): never {
  throw new SandboxError("InvalidArgument", `invalid network policy: ${message}`);
}

/** Drops one trailing dot: `example.com.` and `example.com` name the same host. */
export function canonicalHostName(host: string): string {
  return host.endsWith(".") ? host.slice(0, -1) : host;
}

/**
 * Parses an `allowedHosts` entry the way a URL's host is parsed, so that a
 * pattern and a request compare in the same form (lower case, punycode,
 * canonical IP spellings).
 *
 * @throws {SandboxError} `InvalidArgument` for an entry that is not a host.
 */
export function parseHostPattern(entry: string): HostPattern {
  if (typeof entry !== "string" || entry === "" || /[\s/\\?#@\0]/.test(entry)) invalid(`"${String(entry)}" is not a host`);
  let rest = entry;
  let port: HostPattern["port"];
  const portMatch = /:(\*|[0-9]{1,5})$/.exec(rest);
  // An IPv6 address has colons of its own: its port comes after the closing bracket.
  if (portMatch && (!rest.startsWith("[") || rest.lastIndexOf("]") < portMatch.index)) {
    port = portMatch[1] === "*" ? "*" : Number(portMatch[1]);
    if (port !== "*" && (port < 1 || port > 65535)) invalid(`port in "${entry}" is outside 1..65535`);
    rest = rest.slice(0, portMatch.index);
  }
  const wildcard = rest.startsWith("*.");
  if (wildcard) rest = rest.slice(2);
  if (rest.includes("*")) invalid(`"${entry}": a wildcard is only allowed as the first label ("*.example.com")`);
  let url: URL;
  try {
    url = new URL(`http://${rest}/`);
  } catch {
    invalid(`"${entry}" is not a host`);
  }
  let host = canonicalHostName(url.hostname);
  if (host === "") invalid(`"${entry}" is not a host`);
  if (host.startsWith("[")) {
    if (wildcard) invalid(`"${entry}": an IP address cannot have a wildcard`);
    host = host.slice(1, -1);
  }
  if (wildcard && /^[0-9.]+$/.test(host)) invalid(`"${entry}": an IP address cannot have a wildcard`);
  return { host, wildcard, port };
}

/** Parses every `allowPrivate` entry. */
export function parsePrivateAllowances(entries: readonly string[]): Cidr[] {
  return entries.map((entry) => {
    const cidr = typeof entry === "string" ? parseCidr(entry.startsWith("[") && entry.endsWith("]") ? entry.slice(1, -1) : entry) : undefined;
    if (cidr === undefined) invalid(`allowPrivate entry "${String(entry)}" is not an IP address or CIDR range (host bits must be zero)`);
    return cidr;
  });
}

function checkInteger(name: string, value: unknown, min: number, max: number): void {
  if (typeof value !== "number" || !Number.isSafeInteger(value) || value < min || value > max) {
    invalid(`${name} must be an integer in [${min}, ${max}], got ${String(value)}`);
  }
}

function checkStrings(name: string, value: unknown): asserts value is string[] {
  if (!Array.isArray(value) || value.some((v) => typeof v !== "string" || v === "" || v.includes("\0"))) {
    invalid(`${name} must be an array of non-empty strings without NUL`);
  }
}

/**
 * Checks a host-supplied policy. Host mistakes are errors, not silent
 * defaults; an unknown field is refused so a misspelt limit is not ignored.
 *
 * @throws {SandboxError} `InvalidArgument` naming the bad field.
 */
export function validateNetworkPolicy(policy: NetworkPolicy): void {
  if (typeof policy !== "object" || policy === null) invalid("not an object");
  const known = new Set(Object.keys(defaultNetworkPolicy()));
  for (const key of Object.keys(policy)) if (!known.has(key)) invalid(`unknown field "${key}"`);
  checkStrings("allowedHosts", policy.allowedHosts);
  for (const entry of policy.allowedHosts) parseHostPattern(entry);
  checkStrings("allowedMethods", policy.allowedMethods);
  for (const method of policy.allowedMethods) {
    if (!HTTP_TOKEN.test(method) || method !== method.toUpperCase()) invalid(`allowedMethods entry "${method}" is not an upper-case method`);
    if (FORBIDDEN_METHODS.has(method)) invalid(`${method} can never be allowed`);
  }
  checkStrings("allowedSchemes", policy.allowedSchemes);
  for (const scheme of policy.allowedSchemes) {
    if (scheme !== "http" && scheme !== "https") invalid(`allowedSchemes entries are "http" or "https", got "${scheme}"`);
  }
  checkStrings("allowedRequestHeaders", policy.allowedRequestHeaders);
  for (const name of policy.allowedRequestHeaders) {
    if (!HTTP_TOKEN.test(name)) invalid(`allowedRequestHeaders entry "${name}" is not a header name`);
    const lower = name.toLowerCase();
    if (RESERVED_REQUEST_HEADERS.has(lower) || lower.startsWith("proxy-")) {
      invalid(`allowedRequestHeaders cannot list "${name}": the client sets it, or it is meant for a proxy`);
    }
  }
  checkInteger("maxRequestBytes", policy.maxRequestBytes, 0, NETWORK_POLICY_BOUNDS.maxRequestBytes);
  checkInteger("maxResponseBytes", policy.maxResponseBytes, 0, NETWORK_POLICY_BOUNDS.maxResponseBytes);
  checkInteger("timeoutMs", policy.timeoutMs, 1, NETWORK_POLICY_BOUNDS.timeoutMs);
  checkInteger("maxRequests", policy.maxRequests, 0, NETWORK_POLICY_BOUNDS.maxRequests);
  checkInteger("maxRedirects", policy.maxRedirects, 0, NETWORK_POLICY_BOUNDS.maxRedirects);
  checkStrings("allowPrivate", policy.allowPrivate);
  parsePrivateAllowances(policy.allowPrivate);
}

/**
 * The policy a `network:http` token carries: its scope over the secure
 * defaults, so a token without a scope reaches nothing.
 */
export function networkPolicyOf(scope: Partial<NetworkPolicy> | undefined): NetworkPolicy {
  return { ...defaultNetworkPolicy(), ...scope };
}

/** A validated policy with its patterns parsed once, for matching requests against it. */
export interface CompiledNetworkPolicy {
  readonly policy: NetworkPolicy;
  readonly hosts: readonly HostPattern[];
  readonly privateAllowed: readonly Cidr[];
  readonly headers: ReadonlySet<string>;
}

/** Validates and parses a policy. @throws {SandboxError} `InvalidArgument`. */
export function compileNetworkPolicy(policy: NetworkPolicy): CompiledNetworkPolicy {
  validateNetworkPolicy(policy);
  return {
    policy,
    hosts: policy.allowedHosts.map(parseHostPattern),
    privateAllowed: parsePrivateAllowances(policy.allowPrivate),
    headers: new Set(policy.allowedRequestHeaders.map((h) => h.toLowerCase())),
  };
}

const DEFAULT_PORT: Record<string, number> = { "http:": 80, "https:": 443 };

/** The port a URL connects to (its own, or its scheme's default). */
export function portOf(url: URL): number {
  return url.port === "" ? DEFAULT_PORT[url.protocol] : Number(url.port);
}

/** True when `pattern` admits a connection to `host` (lower case, IPv6 without brackets) on `port` for `scheme`. */
export function hostPatternMatches(pattern: HostPattern, host: string, port: number, scheme: HttpScheme): boolean {
  const name = canonicalHostName(host);
  const hostMatches = pattern.wildcard ? name.endsWith(`.${pattern.host}`) : name === pattern.host;
  if (!hostMatches) return false;
  if (pattern.port === "*") return true;
  return port === (pattern.port ?? DEFAULT_PORT[`${scheme}:`]);
}

/**
 * Why the policy refuses `method` to `url`, or undefined when it allows it.
 * Only the URL's scheme, host and port and the method are judged here; the
 * addresses the host resolves to are checked when connecting (resolve.ts).
 */
export function refusalFor(compiled: CompiledNetworkPolicy, url: URL, method: string): string | undefined {
  const scheme = url.protocol.slice(0, -1) as HttpScheme;
  if (!compiled.policy.allowedSchemes.includes(scheme)) return `the scheme ${scheme} is not allowed by the policy`;
  if (!compiled.policy.allowedMethods.includes(method)) return `the method ${method} is not allowed by the policy`;
  const host = url.hostname.startsWith("[") ? url.hostname.slice(1, -1) : url.hostname;
  const port = portOf(url);
  if (!compiled.hosts.some((pattern) => hostPatternMatches(pattern, host, port, scheme))) {
    return `${url.host} is not on the policy's allowed hosts (port ${port})`;
  }
  return undefined;
}
