import { suite } from "uvu";
import * as assert from "uvu/assert";
import {
  compileNetworkPolicy,
  defaultNetworkPolicy,
  hostPatternMatches,
  networkPolicyOf,
  parseHostPattern,
  refusalFor,
  validateNetworkPolicy,
} from "../../lib/net/policy.ts";
import type { NetworkPolicy } from "../../lib/net/policy.ts";
import { SandboxError } from "../../lib/errors.ts";

const test = suite("network policy");

function policy(fields: Partial<NetworkPolicy>) {
  return compileNetworkPolicy({ ...defaultNetworkPolicy(), ...fields });
}

const allows = (p: ReturnType<typeof policy>, url: string, method = "GET") => refusalFor(p, new URL(url), method) === undefined;

test("the default policy reaches nothing, and a token without a scope gets it", () => {
  const p = policy({});
  assert.not.ok(allows(p, "https://example.com/"));
  assert.equal(networkPolicyOf(undefined), defaultNetworkPolicy());
  assert.equal(defaultNetworkPolicy().allowedSchemes, ["https"]);
  assert.equal(defaultNetworkPolicy().allowPrivate, []);
  assert.is(defaultNetworkPolicy().maxRedirects, 0);
});

test("an exact host matches itself (any case, trailing dot) and only on the scheme's default port", () => {
  const p = policy({ allowedHosts: ["api.example.com"], allowedSchemes: ["http", "https"] });
  assert.ok(allows(p, "https://api.example.com/v1"));
  assert.ok(allows(p, "https://API.Example.COM/v1"));
  assert.ok(allows(p, "https://api.example.com./v1"));
  assert.ok(allows(p, "http://api.example.com/"));
  assert.ok(allows(p, "https://api.example.com:443/"));
  assert.not.ok(allows(p, "https://api.example.com:8443/"));
  assert.not.ok(allows(p, "http://api.example.com:443/"), "443 is not http's default port");
  assert.not.ok(allows(p, "https://example.com/"));
  assert.not.ok(allows(p, "https://x.api.example.com/"));
  assert.not.ok(allows(p, "https://api.example.com.evil.net/"));
  assert.not.ok(allows(p, "https://evilapi.example.com/"));
});

test("a wildcard matches subdomains at any depth, never the bare name or a look-alike", () => {
  const p = policy({ allowedHosts: ["*.example.com"] });
  assert.ok(allows(p, "https://a.example.com/"));
  assert.ok(allows(p, "https://a.b.example.com/"));
  assert.not.ok(allows(p, "https://example.com/"));
  assert.not.ok(allows(p, "https://badexample.com/"));
  assert.not.ok(allows(p, "https://example.com.evil.net/"));
});

test("ports: an explicit port allows only it; * allows any", () => {
  const p = policy({ allowedHosts: ["api.example.com:8443", "*.cdn.example:*"] });
  assert.ok(allows(p, "https://api.example.com:8443/"));
  assert.not.ok(allows(p, "https://api.example.com/"));
  assert.ok(allows(p, "https://x.cdn.example:1/"));
  assert.ok(allows(p, "https://x.cdn.example/"));
});

test("IP hosts match in canonical form, whatever spelling the URL used", () => {
  const p = policy({ allowedHosts: ["203.0.113.7:8080", "[2001:db8::1]"] });
  assert.ok(allows(p, "https://203.0.113.7:8080/"));
  assert.ok(allows(p, "https://3405803783:8080/"), "the same address as a decimal number");
  assert.ok(allows(p, "https://[2001:db8:0:0:0:0:0:1]/"));
  assert.not.ok(allows(p, "https://203.0.113.8:8080/"));
});

test("methods and schemes are checked", () => {
  const p = policy({ allowedHosts: ["api.example.com"], allowedMethods: ["GET"] });
  assert.ok(allows(p, "https://api.example.com/", "GET"));
  assert.match(refusalFor(p, new URL("https://api.example.com/"), "POST")!, /method POST/);
  assert.match(refusalFor(p, new URL("http://api.example.com/"), "GET")!, /scheme http/);
});

test("parseHostPattern() normalizes like URL does (punycode, case)", () => {
  assert.equal(parseHostPattern("*.Bücher.de:8080"), { host: "xn--bcher-kva.de", wildcard: true, port: 8080 });
  assert.equal(parseHostPattern("[::1]:80"), { host: "::1", wildcard: false, port: 80 });
  assert.ok(hostPatternMatches(parseHostPattern("[::1]:80"), "::1", 80, "http"));
});

test("validateNetworkPolicy() refuses host mistakes, naming the field", () => {
  const bad: Array<[Partial<NetworkPolicy> & Record<string, unknown>, RegExp]> = [
    [{ allowedHosts: ["http://example.com"] }, /not a host/],
    [{ allowedHosts: ["exa*mple.com"] }, /wildcard/],
    [{ allowedHosts: ["*.10.0.0.1"] }, /IP address/],
    [{ allowedHosts: ["user@example.com"] }, /not a host/],
    [{ allowedHosts: ["example.com:70000"] }, /port/],
    [{ allowedHosts: [""] }, /allowedHosts/],
    [{ allowedMethods: ["CONNECT"] }, /CONNECT can never/],
    [{ allowedMethods: ["TRACE"] }, /TRACE can never/],
    [{ allowedMethods: ["get"] }, /upper-case/],
    [{ allowedSchemes: ["ftp" as "http"] }, /allowedSchemes/],
    [{ allowedRequestHeaders: ["Host"] }, /cannot list "Host"/],
    [{ allowedRequestHeaders: ["proxy-authorization"] }, /proxy/],
    [{ allowedRequestHeaders: ["bad header"] }, /not a header name/],
    [{ maxRequestBytes: -1 }, /maxRequestBytes/],
    [{ maxResponseBytes: 1e12 }, /maxResponseBytes/],
    [{ timeoutMs: 0 }, /timeoutMs/],
    [{ maxRequests: 1.5 }, /maxRequests/],
    [{ maxRedirects: 100 }, /maxRedirects/],
    [{ allowPrivate: ["localhost"] }, /allowPrivate/],
    [{ allowPrivate: ["10.0.0.1/8"] }, /host bits/],
    [{ allowedHost: ["typo.example"] } as Record<string, unknown>, /unknown field "allowedHost"/],
  ];
  for (const [fields, message] of bad) {
    try {
      validateNetworkPolicy({ ...defaultNetworkPolicy(), ...fields } as NetworkPolicy);
      assert.unreachable(`accepted ${JSON.stringify(fields)}`);
    } catch (err) {
      assert.instance(err, SandboxError);
      assert.is((err as SandboxError).code, "InvalidArgument");
      assert.match((err as SandboxError).message, message, JSON.stringify(fields));
    }
  }
  validateNetworkPolicy({ ...defaultNetworkPolicy(), allowPrivate: ["127.0.0.1", "10.0.0.0/8", "::1", "fd00::/8", "[::1]"] });
});

test.run();
