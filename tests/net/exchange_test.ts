// The transport: connecting to a checked IP while the Host header and the TLS
// server name carry the URL's name. Run on Node and on Deno, this is the
// check that node:http / node:https honour both on each runtime.
import { suite } from "uvu";
import * as assert from "uvu/assert";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { exchange } from "../../lib/net/exchange.ts";
import type { ExchangeRequest } from "../../lib/net/exchange.ts";
import { answer, httpServer, httpsServer } from "./_servers.ts";
import { TEST_CERT } from "./_tls_fixture.ts";

const test = suite("exchange with a checked address");

function request(url: string, fields: Partial<ExchangeRequest> = {}): ExchangeRequest {
  return {
    url: new URL(url),
    addresses: [{ address: "127.0.0.1", family: 4 }],
    method: "GET",
    headers: [],
    body: new Uint8Array(0),
    maxResponseBytes: 1 << 20,
    deadline: performance.now() + 10_000,
    ...fields,
  };
}

test("connects to the given address and sends the URL's name as Host", async () => {
  const server = await httpServer(answer("ok"));
  try {
    const outcome = await exchange(request(`http://api.test:${server.port}/path?q=1`, { headers: [["accept", "text/plain"]] }));
    assert.is(outcome.kind, "response");
    if (outcome.kind !== "response") return;
    assert.is(outcome.status, 200);
    assert.is(new TextDecoder().decode(outcome.body), "ok");
    assert.is(outcome.address, "127.0.0.1");
    assert.is(server.seen.length, 1);
    assert.is(server.seen[0].url, "/path?q=1");
    assert.is(server.seen[0].headers.host, `api.test:${server.port}`);
    assert.is(server.seen[0].headers.accept, "text/plain");
  } finally {
    await server.close();
  }
});

test("https: the certificate is checked against the URL's name (servername), not the IP", async () => {
  const server = await httpsServer(answer("secure"));
  try {
    const good = await exchange(request(`https://test.example:${server.port}/`, { ca: TEST_CERT }));
    assert.is(good.kind, "response", JSON.stringify(good));
    assert.is(server.seen[0].headers.host, `test.example:${server.port}`);
    const sub = await exchange(request(`https://api.test.example:${server.port}/`, { ca: TEST_CERT }));
    assert.is(sub.kind, "response", "the wildcard name in the certificate matches");
    const wrongName = await exchange(request(`https://other.example:${server.port}/`, { ca: TEST_CERT }));
    assert.is(wrongName.kind, "failed");
    if (wrongName.kind === "failed") assert.match(wrongName.reason, /altnames|certificate|ERR_TLS/i);
    const untrusted = await exchange(request(`https://test.example:${server.port}/`));
    assert.is(untrusted.kind, "failed", "a certificate no trusted CA signed is refused");
    assert.is(server.seen.length, 2, "the refused handshakes sent no request");
  } finally {
    await server.close();
  }
});

test("a later address is tried only when connecting to an earlier one failed", async () => {
  const server = await httpServer(answer("second"));
  try {
    const outcome = await exchange(request(`http://api.test:${server.port}/`, {
      addresses: [{ address: "127.0.0.2", family: 4 }, { address: "127.0.0.1", family: 4 }],
    }));
    assert.is(outcome.kind, "response");
    if (outcome.kind === "response") assert.is(outcome.address, "127.0.0.1");
    assert.is(server.seen.length, 1);
  } finally {
    await server.close();
  }
});

test("no address accepting a connection is unreachable (nothing sent)", async () => {
  const server = await httpServer(answer("x"));
  const port = server.port;
  await server.close();
  const outcome = await exchange(request(`http://api.test:${port}/`));
  assert.is(outcome.kind, "unreachable");
});

test("the body is cut at maxResponseBytes and the exchange says truncated", async () => {
  const server = await httpServer(answer("x".repeat(100_000)));
  try {
    const outcome = await exchange(request(`http://api.test:${server.port}/`, { maxResponseBytes: 1000 }));
    assert.is(outcome.kind, "response");
    if (outcome.kind !== "response") return;
    assert.is(outcome.body.byteLength, 1000);
    assert.is(outcome.truncated, true);
    const whole = await exchange(request(`http://api.test:${server.port}/`, { maxResponseBytes: 100_000 }));
    assert.is(whole.kind === "response" && whole.truncated, false, "exactly the cap is not truncated");
  } finally {
    await server.close();
  }
});

test("a server that never answers runs into the deadline", async () => {
  const server = await httpServer(() => {/* never answers */});
  try {
    const outcome = await exchange(request(`http://api.test:${server.port}/`, { deadline: performance.now() + 150 }));
    assert.equal(outcome, { kind: "timeout", connected: true, address: "127.0.0.1" });
  } finally {
    await server.close();
  }
});

test("proxy settings in the environment are ignored: the request goes straight to the checked address", async () => {
  const proxied: string[] = [];
  const proxy = http.createServer((req, res) => {
    proxied.push(req.url ?? "");
    res.end("from the proxy");
  });
  await new Promise<void>((resolve) => proxy.listen(0, "127.0.0.1", resolve));
  const proxyUrl = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`;
  const names = ["HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy"];
  const saved = names.map((name) => [name, process.env[name]] as const);
  for (const name of names) process.env[name] = proxyUrl;
  const server = await httpServer(answer("direct"));
  try {
    const outcome = await exchange(request(`http://api.test:${server.port}/`));
    assert.is(outcome.kind === "response" ? new TextDecoder().decode(outcome.body) : outcome.kind, "direct");
    assert.equal(proxied, []);
  } finally {
    for (const [name, value] of saved) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
    await server.close();
    await new Promise<void>((resolve) => proxy.close(() => resolve()));
  }
});

test.run();
