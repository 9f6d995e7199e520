import { suite } from "uvu";
import * as assert from "uvu/assert";
import { sendHttpRequest } from "../../lib/net/http_client.ts";
import type { HttpOutcome } from "../../lib/net/http_client.ts";
import { compileNetworkPolicy, defaultNetworkPolicy } from "../../lib/net/policy.ts";
import type { NetworkPolicy } from "../../lib/net/policy.ts";
import { validateHttpRequest } from "../../lib/net/request.ts";
import type { HostLookup } from "../../lib/net/resolve.ts";
import { createNetworkState } from "../../lib/net/state.ts";
import type { NetworkState } from "../../lib/net/state.ts";
import { answer, httpServer } from "./_servers.ts";
import type { Handler, TestServer } from "./_servers.ts";

const test = suite("http client under the policy");

/** Every *.test name resolves to 127.0.0.1, which the policies below open explicitly. */
const lookup: HostLookup = async (name) => {
  if (!name.endsWith(".test")) throw Object.assign(new Error(`ENOTFOUND ${name}`), { code: "ENOTFOUND" });
  return [{ address: "127.0.0.1", family: 4 }];
};

async function withServer(handler: Handler, body: (server: TestServer) => Promise<void>): Promise<void> {
  const server = await httpServer(handler);
  try {
    await body(server);
  } finally {
    await server.close();
  }
}

function send(request: Record<string, unknown>, fields: Partial<NetworkPolicy>, state: NetworkState = createNetworkState()): Promise<HttpOutcome> {
  const parsed = validateHttpRequest(request);
  if (parsed.kind !== "ok") throw new Error(parsed.reason);
  const policy = compileNetworkPolicy({ ...defaultNetworkPolicy(), allowedSchemes: ["http"], allowPrivate: ["127.0.0.1"], ...fields });
  return sendHttpRequest(parsed.request, policy, state, { lookup });
}

const text = (outcome: HttpOutcome) => outcome.kind === "response" ? new TextDecoder().decode(outcome.response.body) : `(${outcome.kind})`;

test("an allowed request gets the response; the hop records method, host, address, status and bytes", () =>
  withServer(answer("hello"), async (server) => {
    const outcome = await send({ method: "POST", url: `http://api.test:${server.port}/x`, body: "abc" }, { allowedHosts: [`api.test:${server.port}`] });
    assert.is(text(outcome), "hello");
    assert.equal(outcome.hops, [{ method: "POST", host: `api.test:${server.port}`, address: "127.0.0.1", status: 200, bytesSent: 3, bytesReceived: 5 }]);
    assert.is(new TextDecoder().decode(server.seen[0].body), "abc");
  }));

test("only the guest's allowed headers leave: no cookies, credentials or proxy headers from the host", () =>
  withServer(answer("ok"), async (server) => {
    const outcome = await send(
      { url: `http://api.test:${server.port}/`, headers: { accept: "application/json", "user-agent": "plugin/1" } },
      { allowedHosts: [`api.test:${server.port}`] },
    );
    assert.is(outcome.kind, "response");
    assert.equal(Object.keys(server.seen[0].headers).sort(), ["accept", "connection", "host", "user-agent"]);
  }));

test("a header outside the allow-list is refused, not stripped, and nothing is sent", () =>
  withServer(answer("ok"), async (server) => {
    const outcome = await send({ url: `http://api.test:${server.port}/`, headers: { authorization: "Bearer x" } }, { allowedHosts: [`api.test:${server.port}`] });
    assert.is(outcome.kind, "denied");
    if (outcome.kind === "denied") assert.match(outcome.reason, /"authorization" is not on the policy's allowed request headers/);
    const reserved = await send({ url: `http://api.test:${server.port}/`, headers: { host: "other.test" } }, { allowedHosts: [`api.test:${server.port}`] });
    assert.is(reserved.kind, "invalid");
    const proxyHeader = await send({ url: `http://api.test:${server.port}/`, headers: { "proxy-authorization": "x" } }, { allowedHosts: [`api.test:${server.port}`] });
    assert.is(proxyHeader.kind, "invalid");
    assert.is(server.seen.length, 0);
    const listed = await send({ url: `http://api.test:${server.port}/`, headers: { authorization: "Bearer x" } }, {
      allowedHosts: [`api.test:${server.port}`],
      allowedRequestHeaders: ["authorization"],
    });
    assert.is(listed.kind, "response");
    assert.is(server.seen[0].headers.authorization, "Bearer x", "the guest's own credential goes where the policy lets it");
  }));

test("a body over maxRequestBytes is limit and nothing is sent; the response is cut at maxResponseBytes", () =>
  withServer(answer("y".repeat(5000)), async (server) => {
    const policy = { allowedHosts: [`api.test:${server.port}`], maxRequestBytes: 10, maxResponseBytes: 100 };
    const big = await send({ method: "POST", url: `http://api.test:${server.port}/`, body: "x".repeat(11) }, policy);
    assert.is(big.kind, "limit");
    assert.is(server.seen.length, 0);
    const cut = await send({ method: "POST", url: `http://api.test:${server.port}/`, body: "x".repeat(10) }, policy);
    assert.is(cut.kind, "response");
    if (cut.kind !== "response") return;
    assert.is(cut.response.body.byteLength, 100);
    assert.is(cut.response.truncated, true);
  }));

test("the policy's timeout and a shorter request timeout both end a hanging request as timeout", () =>
  withServer(() => {/* never answers */}, async (server) => {
    const byPolicy = await send({ url: `http://api.test:${server.port}/` }, { allowedHosts: [`api.test:${server.port}`], timeoutMs: 100 });
    assert.is(byPolicy.kind, "timeout");
    const byRequest = await send({ url: `http://api.test:${server.port}/`, timeout_ms: 100 }, { allowedHosts: [`api.test:${server.port}`] });
    assert.is(byRequest.kind, "timeout");
  }));

test("maxRequests counts requests sent per sandbox; refused ones and failed connections do not count", () =>
  withServer(answer("ok"), async (server) => {
    const state = createNetworkState();
    const policy = { allowedHosts: [`api.test:${server.port}`, "closed.test:1"], maxRequests: 2 };
    assert.is((await send({ url: `http://api.test:${server.port}/`, method: "TRACE" }, policy, state)).kind, "denied");
    assert.is((await send({ url: "http://closed.test:1/" }, policy, state)).kind, "failed");
    assert.is(state.requests, 0);
    assert.is((await send({ url: `http://api.test:${server.port}/` }, policy, state)).kind, "response");
    assert.is((await send({ url: `http://api.test:${server.port}/` }, policy, state)).kind, "response");
    const third = await send({ url: `http://api.test:${server.port}/` }, policy, state);
    assert.is(third.kind, "limit");
    assert.is(server.seen.length, 2);
    state.reset();
    assert.is((await send({ url: `http://api.test:${server.port}/` }, policy, state)).kind, "response");
  }));

test("unlisted hosts, methods and schemes are denied before anything is resolved or sent", async () => {
  const policy = { allowedHosts: ["api.test"], allowedMethods: ["GET"] };
  assert.is((await send({ url: "http://other.test/" }, policy)).kind, "denied");
  assert.is((await send({ url: "http://api.test/", method: "DELETE" }, policy)).kind, "denied");
  assert.is((await send({ url: "https://api.test/" }, policy)).kind, "denied");
  assert.is((await send({ url: "http://nowhere.invalid/" }, { allowedHosts: ["nowhere.invalid"] })).kind, "not_found");
});

function redirecting(routes: Record<string, [number, string]>): Handler {
  return (req, res) => {
    const route = routes[req.url ?? ""];
    if (route) {
      res.writeHead(route[0], { location: route[1] });
      res.end();
    } else {
      res.writeHead(200);
      res.end(`${req.method} ${req.url} ${req.headers.host}`);
    }
  };
}

test("redirects: not followed by default (the 3xx reaches the guest); followed when allowed, each hop counted", () =>
  withServer(redirecting({ "/a": [302, "/b"] }), async (server) => {
    const hosts = [`api.test:${server.port}`];
    const unfollowed = await send({ url: `http://api.test:${server.port}/a` }, { allowedHosts: hosts });
    assert.is(unfollowed.kind === "response" && unfollowed.response.status, 302);
    const state = createNetworkState();
    const followed = await send({ url: `http://api.test:${server.port}/a` }, { allowedHosts: hosts, maxRedirects: 3 }, state);
    assert.is(text(followed), `GET /b api.test:${server.port}`);
    assert.is(followed.kind === "response" && followed.response.redirects, 1);
    assert.is(followed.kind === "response" && followed.response.url, `http://api.test:${server.port}/b`);
    assert.is(followed.hops.length, 2);
    assert.is(state.requests, 2);
    const oneLeft = createNetworkState();
    oneLeft.tryReserve(100);
    const limited = await send({ url: `http://api.test:${server.port}/a` }, { allowedHosts: hosts, maxRedirects: 3, maxRequests: 2 }, oneLeft);
    assert.is(limited.kind, "limit", "the redirect hop needed a third request");
  }));

test("a redirect to an unlisted host, a private address or a non-http scheme is denied and not followed", () =>
  withServer(
    redirecting({
      "/away": [302, "http://evil.test/"],
      "/meta": [302, "http://169.254.169.254/latest/meta-data/"],
      "/file": [302, "file:///etc/passwd"],
      "/spelled": [307, "http://0x7f.0.0.2:1/"], // 127.0.0.2: not opened (only 127.0.0.1 is)
    }),
    async (server) => {
      const policy = { allowedHosts: [`api.test:${server.port}`, "169.254.169.254", "127.0.0.2:1"], maxRedirects: 5 };
      for (const [path, reason] of [["/away", /redirect 1: evil\.test is not on the policy's allowed hosts/], ["/meta", /metadata/], ["/file", /file URL/], ["/spelled", /127\.0\.0\.2 is a loopback address/]] as const) {
        const outcome = await send({ url: `http://api.test:${server.port}${path}` }, policy);
        assert.is(outcome.kind, "denied", path);
        if (outcome.kind === "denied") assert.match(outcome.reason, reason, path);
      }
      assert.is(server.seen.length, 4, "only the first hops reached the server");
    },
  ));

test("more redirects than maxRedirects is limit", () =>
  withServer(redirecting({ "/1": [301, "/2"], "/2": [301, "/3"], "/3": [301, "/4"] }), async (server) => {
    const outcome = await send({ url: `http://api.test:${server.port}/1` }, { allowedHosts: [`api.test:${server.port}`], maxRedirects: 2 });
    assert.is(outcome.kind, "limit");
    assert.is(server.seen.length, 3);
  }));

test("303 turns POST into a bodiless GET; 307 keeps method and body; credentials never follow to another origin", () =>
  withServer(redirecting({ "/see-other": [303, "/done"], "/temp": [307, "/done"] }), async (server) => {
    const policy = { allowedHosts: [`api.test:${server.port}`, `other.test:${server.port}`], maxRedirects: 2, allowedRequestHeaders: ["authorization", "content-type"] };
    const seeOther = await send({ method: "POST", url: `http://api.test:${server.port}/see-other`, body: "data", headers: { "content-type": "text/plain" } }, policy);
    assert.is(text(seeOther), `GET /done api.test:${server.port}`);
    assert.is(server.seen[1].body.byteLength, 0);
    assert.is(server.seen[1].headers["content-type"], undefined);
    const temp = await send({ method: "POST", url: `http://api.test:${server.port}/temp`, body: "data" }, policy);
    assert.is(text(temp), `POST /done api.test:${server.port}`);
    assert.is(new TextDecoder().decode(server.seen[3].body), "data");
  }));

test("an authorization header is dropped when a redirect changes origin", async () => {
  const target = await httpServer(answer("landed"));
  const origin = await httpServer(redirecting({ "/go": [302, `http://other.test:${target.port}/in`] }));
  try {
    const policy = { allowedHosts: [`api.test:${origin.port}`, `other.test:${target.port}`], maxRedirects: 1, allowedRequestHeaders: ["authorization"] };
    const outcome = await send({ url: `http://api.test:${origin.port}/go`, headers: { authorization: "Bearer secret" } }, policy);
    assert.is(text(outcome), "landed");
    assert.is(origin.seen[0].headers.authorization, "Bearer secret");
    assert.is(target.seen[0].headers.authorization, undefined);
  } finally {
    await origin.close();
    await target.close();
  }
});

test.run();
