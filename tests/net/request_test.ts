import { suite } from "uvu";
import * as assert from "uvu/assert";
import { HTTP_REQUEST_LIMITS, parseHttpRequest, validateHttpRequest } from "../../lib/net/request.ts";

const test = suite("http request parsing");
const encode = (value: unknown) => new TextEncoder().encode(typeof value === "string" ? value : JSON.stringify(value));
const parse = (value: unknown) => parseHttpRequest(encode(value));

test("a minimal request is a GET with no headers and no body", () => {
  const parsed = parse({ url: "https://api.example.com/v1?q=1#frag" });
  assert.is(parsed.kind, "ok");
  if (parsed.kind !== "ok") return;
  assert.is(parsed.request.method, "GET");
  assert.is(parsed.request.url.href, "https://api.example.com/v1?q=1", "the fragment is never sent");
  assert.equal(parsed.request.headers, []);
  assert.is(parsed.request.body.byteLength, 0);
});

test("fields: method upper-cased, headers lower-cased, body as UTF-8 or exact base64 bytes, timeout", () => {
  const parsed = parse({ method: "post", url: "http://h/", headers: { "Content-Type": "text/plain" }, body: "héllo", timeout_ms: 50 });
  assert.is(parsed.kind, "ok");
  if (parsed.kind !== "ok") return;
  assert.is(parsed.request.method, "POST");
  assert.equal(parsed.request.headers, [["content-type", "text/plain"]]);
  assert.equal([...parsed.request.body], [...new TextEncoder().encode("héllo")]);
  assert.is(parsed.request.timeoutMs, 50);
  const binary = parse({ url: "http://h/", body_base64: "AP8=" });
  assert.equal(binary.kind === "ok" ? [...binary.request.body] : [], [0, 255]);
});

test("malformed requests are invalid, with a reason", () => {
  const cases: Array<[unknown, RegExp]> = [
    ["{not json", /malformed JSON/],
    [[1], /JSON object/],
    [{}, /"url" must be a string/],
    [{ url: "/relative" }, /does not parse/],
    [{ url: "ftp://example.com/" }, /scheme ftp/],
    [{ url: "file:///etc/passwd" }, /scheme file/],
    [{ url: "javascript:alert(1)" }, /scheme javascript/],
    [{ url: "http://user:pw@example.com/" }, /user name or password/],
    [{ url: "http://user@example.com/" }, /user name or password/],
    [{ url: "http://[::1/" }, /does not parse/],
    [{ url: "http://exa mple.com/" }, /does not parse/],
    [{ url: "http://h/", extra: 1 }, /unknown field "extra"/],
    [{ url: "http://h/", method: "GE T" }, /HTTP method/],
    [{ url: "http://h/", headers: ["a"] }, /"headers" must be an object/],
    [{ url: "http://h/", headers: { "x-a": "1\r\nx-injected: 1" } }, /control character/],
    [{ url: "http://h/", headers: { "x-a": "1\n" } }, /control character/],
    [{ url: "http://h/", headers: { "x-a": "a\u0000b" } }, /control character/],
    [{ url: "http://h/", headers: { "x-a": "\u0100" } }, /control character/],
    [{ url: "http://h/", headers: { "bad name": "1" } }, /not an HTTP token/],
    [{ url: "http://h/", headers: { "X-A": "1", "x-a": "2" } }, /given twice/],
    [{ url: "http://h/", headers: { "x-a": 1 } }, /must be a string/],
    [{ url: "http://h/", body: "a", body_base64: "YQ==" }, /not both/],
    [{ url: "http://h/", body_base64: "YQ" }, /base64/],
    [{ url: "http://h/", body_base64: "Y Q==" }, /base64/],
    [{ url: "http://h/", body: "\ud800" }, /lone surrogate/],
    [{ url: "http://h/", timeout_ms: 0 }, /timeout_ms/],
    [{ url: "http://h/", timeout_ms: 1.5 }, /timeout_ms/],
  ];
  for (const [value, reason] of cases) {
    const parsed = parse(value);
    assert.is(parsed.kind, "invalid", JSON.stringify(value));
    if (parsed.kind === "invalid") assert.match(parsed.reason, reason, JSON.stringify(value));
  }
  const badUtf8 = parseHttpRequest(new Uint8Array([0x7b, 0xff, 0x7d]));
  assert.is(badUtf8.kind, "invalid");
  const bom = parseHttpRequest(new Uint8Array([0xef, 0xbb, 0xbf, ...encode({ url: "http://h/" })]));
  assert.is(bom.kind, "invalid");
});

test("requests over the fixed caps are too_large (LIMIT_EXCEEDED), not invalid", () => {
  const cases: unknown[] = [
    { url: `http://h/${"a".repeat(HTTP_REQUEST_LIMITS.urlBytes)}` },
    { url: "http://h/", headers: Object.fromEntries(Array.from({ length: HTTP_REQUEST_LIMITS.headers + 1 }, (_, i) => [`x-${i}`, "1"])) },
    { url: "http://h/", headers: { "x-a": "v".repeat(HTTP_REQUEST_LIMITS.headerValueBytes + 1) } },
    { url: "http://h/", headers: { ["x".repeat(HTTP_REQUEST_LIMITS.headerNameBytes + 1)]: "1" } },
  ];
  for (const value of cases) assert.is(parse(value).kind, "too_large");
  assert.is(validateHttpRequest({ url: "http://h/", headers: { "x-a": "v".repeat(HTTP_REQUEST_LIMITS.headerValueBytes) } }).kind, "ok");
});

test.run();
