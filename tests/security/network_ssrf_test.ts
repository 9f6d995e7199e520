// Hostile requests against platform_network.http_request: every spelling of
// a loopback address, names that resolve to one, rebinding answers,
// redirects into private ranges, header injection and URL tricks. A server
// on 127.0.0.1 stands in for "something internal"; it must see nothing
// unless the policy opened 127.0.0.1 explicitly.
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { grant } from "../../lib/host/capabilities.ts";
import { httpRequestFunction } from "../../lib/host/platform_network_namespace.ts";
import type { NetworkPolicy } from "../../lib/net/policy.ts";
import { systemLookup } from "../../lib/net/resolve.ts";
import type { HostLookup } from "../../lib/net/resolve.ts";
import { createNetworkState } from "../../lib/net/state.ts";
import { FakeHostCall } from "../host/_fake_host_call.ts";
import { answer, httpServer } from "../net/_servers.ts";
import type { TestServer } from "../net/_servers.ts";

const test = suite("network: SSRF and injection");

async function withInternal(body: (server: TestServer) => Promise<void>) {
  const server = await httpServer(answer("internal secret"));
  try {
    await body(server);
  } finally {
    await server.close();
  }
}

async function request(policy: Partial<NetworkPolicy>, req: unknown, lookup: HostLookup = systemLookup): Promise<{ code: bigint; reason: string | undefined }> {
  const ctx = new FakeHostCall(grant("network:http", { allowedSchemes: ["http"], ...policy }));
  const len = ctx.put(0, JSON.stringify(req));
  const code = await ctx.call(httpRequestFunction({ state: createNetworkState(), client: { lookup } }), 0, len, 65536, 65536);
  return { code, reason: ctx.reasons[0] };
}

test("every spelling of a loopback address is refused although the host list names it", () =>
  withInternal(async (server) => {
    const p = server.port;
    // The host list names each canonical form, so only the private-address rule stands in the way.
    const policy = { allowedHosts: [`127.0.0.1:${p}`, `[::1]:${p}`, `[::ffff:7f00:1]:${p}`, `0.0.0.0:${p}`, `[::]:${p}`, `localhost:${p}`] };
    const urls = [
      `http://127.0.0.1:${p}/`,
      `http://2130706433:${p}/`,
      `http://0177.0.0.1:${p}/`,
      `http://0x7f.1:${p}/`,
      `http://0x7f000001:${p}/`,
      `http://127.1:${p}/`,
      `http://[::ffff:127.0.0.1]:${p}/`,
      `http://[::ffff:7f00:1]:${p}/`,
      `http://[::1]:${p}/`,
      `http://[0:0:0:0:0:0:0:1]:${p}/`,
      `http://0.0.0.0:${p}/`,
      `http://0:${p}/`,
      `http://[::]:${p}/`,
      `http://localhost:${p}/`,
      `http://LocalHost:${p}/`,
    ];
    for (const url of urls) {
      const { code, reason } = await request(policy, { url });
      assert.is(code, -2n, url);
      assert.match(reason!, /loopback|unspecified/, url);
    }
    assert.is(server.seen.length, 0, "the internal server saw nothing");
  }));

test("the same request goes through once the policy opens 127.0.0.1 explicitly", () =>
  withInternal(async (server) => {
    const policy = { allowedHosts: [`127.0.0.1:${server.port}`], allowPrivate: ["127.0.0.1"] };
    assert.ok((await request(policy, { url: `http://0x7f.1:${server.port}/` })).code > 0n);
    assert.is(server.seen.length, 1);
    // Opening 127.0.0.1 does not open the rest of 127/8 or ::1.
    assert.is((await request({ ...policy, allowedHosts: [`127.0.0.2:${server.port}`] }, { url: `http://127.0.0.2:${server.port}/` })).code, -2n);
  }));

test("a name resolving to a private address is refused, and the name is resolved only once per hop", () =>
  withInternal(async (server) => {
    let lookups = 0;
    // A rebinding resolver: public on the first answer, internal afterwards.
    const rebinding: HostLookup = async () => {
      lookups++;
      return lookups === 1 ? [{ address: "127.0.0.1", family: 4 }, { address: "93.184.215.14", family: 4 }] : [{ address: "127.0.0.1", family: 4 }];
    };
    const policy = { allowedHosts: [`rebind.example:${server.port}`] };
    const { code, reason } = await request(policy, { url: `http://rebind.example:${server.port}/` }, rebinding);
    assert.is(code, -2n);
    assert.match(reason!, /rebind\.example resolves to 127\.0\.0\.1/);
    assert.is(lookups, 1);
    const internalOnly: HostLookup = async () => [{ address: "10.0.0.5", family: 4 }];
    assert.is((await request(policy, { url: `http://rebind.example:${server.port}/` }, internalOnly)).code, -2n);
    const metadata: HostLookup = async () => [{ address: "fd00:ec2::254", family: 6 }];
    assert.is((await request(policy, { url: `http://rebind.example:${server.port}/` }, metadata)).code, -2n);
    assert.is(server.seen.length, 0);
  }));

test("a redirect from an allowed server into internal addresses is refused at that hop", async () => {
  const internal = await httpServer(answer("internal secret"));
  const outside = await httpServer((req, res) => {
    const to = req.url === "/literal" ? `http://127.0.0.1:${internal.port}/admin` : `http://internal.test:${internal.port}/admin`;
    res.writeHead(302, { location: to });
    res.end();
  });
  try {
    // public.test stands for an outside server (it lives on 127.0.0.1, which is opened for it alone);
    // internal.test is on the host list but resolves to a private address nobody opened.
    const lookup: HostLookup = async (name) => [{ address: name === "public.test" ? "127.0.0.1" : "10.0.0.5", family: 4 }];
    const policy = { allowedHosts: [`public.test:${outside.port}`, `internal.test:${internal.port}`], allowPrivate: ["127.0.0.1"], maxRedirects: 3 };
    const literal = await request(policy, { url: `http://public.test:${outside.port}/literal` }, lookup);
    assert.is(literal.code, -2n);
    assert.match(literal.reason!, /redirect 1: 127\.0\.0\.1:\d+ is not on the policy's allowed hosts/);
    const named = await request(policy, { url: `http://public.test:${outside.port}/named` }, lookup);
    assert.is(named.code, -2n);
    assert.match(named.reason!, /internal\.test resolves to 10\.0\.0\.5 is a private address/);
    assert.is(outside.seen.length, 2);
    assert.is(internal.seen.length, 0);
  } finally {
    await outside.close();
    await internal.close();
  }
});

test("header injection, smuggling headers and URL tricks are -3 and send nothing", () =>
  withInternal(async (server) => {
    const policy = { allowedHosts: [`127.0.0.1:${server.port}`], allowPrivate: ["127.0.0.1"], allowedRequestHeaders: ["x-a", "accept"] };
    const base = `http://127.0.0.1:${server.port}/`;
    const hostile: unknown[] = [
      { url: base, headers: { "x-a": "1\r\nHost: evil" } },
      { url: base, headers: { "x-a": "1\r\n\r\nGET /admin HTTP/1.1" } },
      { url: base, headers: { "x-a": "1\n" } },
      { url: base, headers: { "x-a:": "1" } },
      { url: base, headers: { "transfer-encoding": "chunked" } },
      { url: base, headers: { "content-length": "0" } },
      { url: base, headers: { host: "localhost" } },
      { url: base, headers: { connection: "upgrade" } },
      { url: `http://user:pass@127.0.0.1:${server.port}/` },
      { url: `file:///etc/passwd` },
      { url: `gopher://127.0.0.1:${server.port}/_GET` },
      { url: base, method: "GET /admin HTTP/1.1\r\nx:" },
      { url: base, method: "G\u0000ET" },
    ];
    for (const req of hostile) assert.is((await request(policy, req)).code, -3n, JSON.stringify(req));
    assert.is((await request(policy, { url: base, method: "CONNECT" })).code, -2n, "CONNECT can never be allowed");
    assert.is(server.seen.length, 0);
  }));

test.run();
