// platform_network.http_request below the guest: the host function driven
// through a fake HostCallContext (real GuestMemory, real response slot)
// against servers on 127.0.0.1.
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { grant } from "../../lib/host/capabilities.ts";
import { httpRequestFunction, platformNetworkNamespace, validateNetworkGrants } from "../../lib/host/platform_network_namespace.ts";
import type { NetworkEvent } from "../../lib/host/platform_network_namespace.ts";
import type { NetworkPolicy } from "../../lib/net/policy.ts";
import type { HostLookup } from "../../lib/net/resolve.ts";
import { createNetworkState } from "../../lib/net/state.ts";
import { SandboxError } from "../../lib/errors.ts";
import { answer, httpServer } from "../net/_servers.ts";
import type { Handler, TestServer } from "../net/_servers.ts";
import { FakeHostCall } from "./_fake_host_call.ts";
import { WasmSandboxRuntime } from "../../lib/runtime.ts";
import { wat } from "../_helpers/wat.ts";

const test = suite("platform_network.http_request");

const lookup: HostLookup = async (name) => {
  if (!name.endsWith(".test")) throw Object.assign(new Error(`ENOTFOUND ${name}`), { code: "ENOTFOUND" });
  return [{ address: "127.0.0.1", family: 4 }];
};

const REQ = 0;
const OUT = 65536;

async function setup(handler: Handler, policy: Partial<NetworkPolicy> | undefined | ((s: TestServer) => Partial<NetworkPolicy>)) {
  const server = await httpServer(handler);
  const events: NetworkEvent[] = [];
  const fn = httpRequestFunction({ state: createNetworkState(), client: { lookup }, observer: (e) => events.push(e) });
  const scope = typeof policy === "function"
    ? policy(server)
    : policy ?? { allowedHosts: [`api.test:${server.port}`], allowedSchemes: ["http"], allowPrivate: ["127.0.0.1"] };
  const ctx = new FakeHostCall(grant("network:http", scope));
  const call = (request: unknown, outCap = 65536, outPtr = OUT) => {
    const len = ctx.put(REQ, typeof request === "string" ? request : JSON.stringify(request));
    return ctx.call(fn, REQ, len, outPtr, outCap);
  };
  const response = (n: bigint) => JSON.parse(ctx.memory.readUtf8(OUT, Number(n)));
  return { server, fn, ctx, call, response, events, url: (path = "/") => `http://api.test:${server.port}${path}` };
}

test("the registrar declares platform_network.http_request as async, (i32 i32 i32 i32) -> i64, needing network:http", () => {
  const registrar = platformNetworkNamespace({ state: createNetworkState() });
  assert.is(registrar.namespace, "platform_network");
  const fn = registrar.functions.http_request;
  assert.equal([fn.params, fn.results, fn.capability, fn.async], [["i32", "i32", "i32", "i32"], ["i64"], "network:http", true]);
});

test("an allowed request answers with the JSON response through the output protocol", async () => {
  const { server, call, response, ctx } = await setup(answer("hello", { "x-served-by": "test" }), undefined);
  try {
    const n = await call({ url: `http://api.test:${server.port}/greet`, headers: { accept: "text/plain" } });
    assert.ok(n > 0n, String(n));
    const r = response(n);
    assert.is(r.status, 200);
    assert.is(r.body, "hello");
    assert.is(r.body_base64, undefined);
    assert.is(r.headers["x-served-by"], "test");
    assert.is(r.truncated, false);
    assert.type(r.duration_ms, "number");
    assert.is(r.url, `http://api.test:${server.port}/greet`);
    assert.is(ctx.slot.size, 0);
  } finally {
    await server.close();
  }
});

test("a response larger than out_cap waits in the response slot; nothing is sent twice", async () => {
  const { server, call, ctx } = await setup(answer("x".repeat(500)), undefined);
  try {
    const n = await call({ url: `http://api.test:${server.port}/` }, 16);
    assert.ok(n > 16n);
    assert.is(ctx.slot.size, Number(n));
    assert.is(ctx.slot.take(ctx.memory, OUT, Number(n)), n);
    assert.match(ctx.memory.readUtf8(OUT, Number(n)), /"body":"x{500}"/);
    assert.is(server.seen.length, 1);
  } finally {
    await server.close();
  }
});

test("a binary body comes as body_base64", async () => {
  const { server, call, response } = await setup((_req, res) => res.end(new Uint8Array([0, 0xff, 0xfe])), undefined);
  try {
    const r = response(await call({ url: `http://api.test:${server.port}/` }));
    assert.is(r.body, undefined);
    assert.is(r.body_base64, "AP/+");
  } finally {
    await server.close();
  }
});

test("an out buffer or request outside memory is -3 and nothing is sent", async () => {
  const { server, call, ctx, fn } = await setup(answer("x"), undefined);
  try {
    const size = ctx.memory.byteLength;
    assert.is(await call({ url: `http://api.test:${server.port}/` }, 100, size - 10), -3n);
    assert.is(await call({ url: `http://api.test:${server.port}/` }, 0xffffffff, 0), -3n);
    assert.is(await ctx.call(fn, size - 4, 100, OUT, 10), -3n, "a request range outside memory");
    assert.is(server.seen.length, 0);
  } finally {
    await server.close();
  }
});

test("result codes: -3 malformed, -4 over a size cap, -2 refused, -1 unknown name, -6 network failure, -5 timeout", async () => {
  const { server, call, ctx, events } = await setup(() => {/* never answers */}, (s) => ({
    allowedHosts: [`api.test:${s.port}`, "nowhere.invalid", "closed.test:1"],
    allowedSchemes: ["http"],
    allowPrivate: ["127.0.0.1"],
    maxRequestBytes: 4,
    timeoutMs: 100,
  }));
  try {
    assert.is(await call("{oops"), -3n);
    assert.is(await call({ url: `http://api.test:${server.port}/`, headers: { "x-a": "1\r\nx: y" } }), -3n);
    assert.is(await call({ url: `http://api.test:${server.port}/`, method: "POST", body: "12345" }), -4n);
    assert.is(await call({ url: `http://api.test:${server.port}/`, headers: { "x-secret": "v" } }), -2n);
    assert.is(await call({ url: "http://other.test/" }), -2n);
    assert.is(await call({ url: "http://nowhere.invalid/" }), -1n);
    assert.is(await call({ url: "http://closed.test:1/" }), -6n);
    assert.is(await call({ url: `http://api.test:${server.port}/` }), -5n);
    assert.is(ctx.reasons.length, 8, "every refusal or failure is explained for the audit record");
    assert.match(ctx.reasons[3], /"x-secret" is not on the policy's allowed request headers/);
    assert.equal(events.map((e) => e.outcome), ["limit", "denied", "denied", "not_found", "failed", "timeout"]);
  } finally {
    await server.close();
  }
});

test("a token without a policy reaches nothing", async () => {
  const { server, call } = await setup(answer("x"), {});
  try {
    assert.is(await call({ url: `https://api.test:${server.port}/` }), -2n);
    assert.is(server.seen.length, 0);
  } finally {
    await server.close();
  }
});

test("the audit detail has method, host, status, bytes and decision — never the path, a body or a header value", async () => {
  const { server, call, ctx } = await setup(answer("response-body-secret"), (s) => ({
    allowedHosts: [`api.test:${s.port}`],
    allowedSchemes: ["http"],
    allowPrivate: ["127.0.0.1"],
    allowedRequestHeaders: ["authorization"],
  }));
  try {
    const n = await call({ method: "PUT", url: `http://api.test:${server.port}/path-secret?key=query-secret`, headers: { authorization: "Bearer header-secret" }, body: "body-secret" });
    assert.ok(n > 0n);
    assert.equal(ctx.details, [{
      method: "PUT",
      host: `api.test:${server.port}`,
      status: 200,
      bytesSent: 11,
      bytesReceived: 20,
      decision: "allow",
      outcome: "response",
      address: "127.0.0.1",
    }]);
    await call({ url: `http://api.test:${server.port}/path-secret`, headers: { "x-other": "header-secret" } });
    assert.equal(ctx.details[1], { method: "GET", host: `api.test:${server.port}`, status: null, bytesSent: 0, bytesReceived: 0, decision: "deny", outcome: "denied" });
    const logged = JSON.stringify([ctx.details, ctx.reasons]);
    for (const secret of ["path-secret", "query-secret", "header-secret", "body-secret", "response-body-secret"]) {
      assert.not.ok(logged.includes(secret), secret);
    }
  } finally {
    await server.close();
  }
});

test("validateNetworkGrants() refuses a bad policy at load; a bad policy reaching a call is -6, not the guest's fault", async () => {
  try {
    validateNetworkGrants([grant("network:http", { allowedHosts: ["http://x"] })]);
    assert.unreachable();
  } catch (err) {
    assert.instance(err, SandboxError);
    assert.is((err as SandboxError).code, "InvalidArgument");
  }
  validateNetworkGrants([grant("network:http", { allowedHosts: ["api.example.com"] }), grant("sandbox:exec", { nonsense: true })]);
  const ctx = new FakeHostCall(grant("network:http", { maxRequests: -1 }));
  const len = ctx.put(REQ, JSON.stringify({ url: "https://api.example.com/" }));
  assert.is(await ctx.call(httpRequestFunction({ state: createNetworkState() }), REQ, len, OUT, 100), -6n);
  assert.match(ctx.reasons[0], /policy is invalid/);
});


// ---- Through a guest: the runtime links platform_network itself (async host functions: JSPI or a worker). ----

const GUEST = `(module
  (import "platform_network" "http_request" (func $http (param i32 i32 i32 i32) (result i64)))
  (import "sandbox" "take_response" (func $take (param i32 i32) (result i64)))
  (memory (export "memory") 4)
  (func (export "http") (param i32 i32 i32 i32) (result i64)
    (call $http (local.get 0) (local.get 1) (local.get 2) (local.get 3)))
  (func (export "take") (param i32 i32) (result i64) (call $take (local.get 0) (local.get 1))))`;

async function guest(server: TestServer, scope: Partial<NetworkPolicy>, isolation?: "worker") {
  const runtime = new WasmSandboxRuntime({ httpClient: { lookup } });
  const events: NetworkEvent[] = [];
  const plugin = await runtime.loadPlugin("net", await wat(GUEST), {
    onNetwork: (e) => events.push(e),
    capabilities: [grant("network:http", scope)],
    ...(isolation === undefined ? {} : { isolation: { mode: isolation } }),
  });
  const http = async (request: unknown, outCap = 65536) => {
    const len = plugin.memory.writeUtf8(REQ, JSON.stringify(request));
    return await plugin.call("http", REQ, len, OUT, outCap) as bigint;
  };
  return { runtime, plugin, http, events, url: (path = "/") => `http://api.test:${server.port}${path}` };
}

for (const isolation of [undefined, "worker"] as const) {
  test(`a guest's request gets its response and is audited with its detail (${isolation ?? "default"} mode)`, async () => {
    const server = await httpServer(answer("from the server"));
    try {
      const { runtime, plugin, http, events, url } = await guest(server, { allowedHosts: [`api.test:${server.port}`], allowedSchemes: ["http"], allowPrivate: ["127.0.0.1"] }, isolation);
      const n = await http({ url: url("/hello") });
      assert.ok(n > 0n, String(n));
      assert.is(JSON.parse(plugin.memory.readUtf8(OUT, Number(n))).body, "from the server");
      assert.is(await http({ url: "http://other.test/" }), -2n);
      const small = await http({ url: url("/again") }, 8);
      assert.ok(small > 8n);
      assert.is(await plugin.call("take", OUT, Number(small)), small);
      assert.match(plugin.memory.readUtf8(OUT, Number(small)), /"body":"from the server"/);
      const records = runtime.audit.events().events.filter((e) => e.function === "http_request");
      assert.equal(records.map((r) => [r.result, r.detail?.outcome, r.detail?.status, r.reason === undefined]), [
        [n, "response", 200, true],
        [-2n, "denied", null, false],
        [small, "response", 200, true],
      ], "each record carries its own detail and reason, none left over from the call before");
      assert.match(records[1].reason!, /other\.test is not on the policy.s allowed hosts \(port 80\)/);
      assert.is(records[0].detail?.host, `api.test:${server.port}`);
      assert.is(server.seen.length, 2);
      assert.equal(events.map((e) => e.outcome), ["response", "denied", "response"], "onNetwork is told of each request");
    } finally {
      await server.close();
    }
  });
}

test("a guest without network:http cannot link http_request", async () => {
  const server = await httpServer(answer("x"));
  try {
    const error = await new WasmSandboxRuntime({ httpClient: { lookup } }).loadPlugin("net", await wat(GUEST))
      .then(() => undefined, (err) => err);
    assert.instance(error, SandboxError);
    assert.is((error as SandboxError).code, "CapabilityDenied");
    assert.is(server.seen.length, 0);
  } finally {
    await server.close();
  }
});

test("platform_network is built in: a registrar cannot take its name", async () => {
  const error = await new WasmSandboxRuntime().loadPlugin("net", await wat(GUEST), {
    registrars: [platformNetworkNamespace({ state: createNetworkState() })],
  }).then(() => undefined, (err) => err);
  assert.instance(error, SandboxError);
  assert.is((error as SandboxError).code, "InvalidArgument");
});

test.run();
