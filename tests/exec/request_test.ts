import { test } from "uvu";
import * as assert from "uvu/assert";
import { SandboxError } from "../../lib/errors.ts";
import { parseExecRequest, REQUEST_LIMITS, validateExecRequest } from "../../lib/exec/request.ts";

const bytes = (s: string) => new TextEncoder().encode(s);

function refused(input: Uint8Array): SandboxError {
  try {
    parseExecRequest(input);
  } catch (err) {
    assert.instance(err, SandboxError);
    assert.is((err as SandboxError).code, "InvalidArgument");
    return err as SandboxError;
  }
  throw new Error("expected the request to be refused");
}

test("parseExecRequest() reads every documented field", () => {
  const r = parseExecRequest(bytes(JSON.stringify({
    command: "ls", args: ["-l", ""], stdin: "a\0b", env: { K: "V" }, cwd: "sub/dir", timeout_ms: 1000, output: "base64",
  })));
  assert.equal({ ...r, env: { ...r.env } }, {
    command: "ls", args: ["-l", ""], stdin: "a\0b", env: { K: "V" }, cwd: "sub/dir", timeoutMs: 1000, output: "base64",
  });
});

test("parseExecRequest() defaults args, env and output", () => {
  const r = parseExecRequest(bytes('{"command":"true"}'));
  assert.equal(r.args, []);
  assert.equal({ ...r.env }, {});
  assert.is(r.output, "utf8");
  assert.is(r.timeoutMs, undefined);
});

test("parseExecRequest() reports the byte offset of malformed JSON", () => {
  const err = refused(bytes('{"command":"é",}'));
  assert.ok(err.message.includes("malformed JSON"));
  // V8 reports the position of the stray "}" (character 15, byte 16 after the two-byte é).
  assert.is(err.offset, 16);
});

test("parseExecRequest() reports the byte offset of invalid UTF-8", () => {
  const input = new Uint8Array([...bytes('{"command":"'), 0xc0, 0x80, ...bytes('"}')]);
  assert.is(refused(input).offset, 12);
  assert.is(refused(new Uint8Array([...bytes('{"command":"'), 0xed, 0xa0, 0x80, ...bytes('"}')])).offset, 12);
  assert.is(refused(new Uint8Array([...bytes('{"command":"a'), 0xe2, 0x82])).offset, 13);
});

test("parseExecRequest() refuses unknown fields, wrong types and empty commands", () => {
  refused(bytes('{"command":"ls","shell":true}'));
  refused(bytes('{"command":["ls"]}'));
  refused(bytes('{"command":""}'));
  refused(bytes('{"command":"ls","args":"-l"}'));
  refused(bytes('{"command":"ls","args":[1]}'));
  refused(bytes('{"command":"ls","env":{"K":1}}'));
  refused(bytes('{"command":"ls","env":["K"]}'));
  refused(bytes('{"command":"ls","timeout_ms":1.5}'));
  refused(bytes('{"command":"ls","timeout_ms":0}'));
  refused(bytes('{"command":"ls","timeout_ms":"100"}'));
  refused(bytes('{"command":"ls","output":"hex"}'));
  refused(bytes('["ls"]'));
  refused(bytes("null"));
  refused(bytes(""));
});

test("parseExecRequest() refuses NUL bytes and lone surrogates in strings", () => {
  refused(bytes('{"command":"ls\\u0000x"}'));
  refused(bytes('{"command":"ls","args":["a\\u0000"]}'));
  refused(bytes('{"command":"ls","env":{"K":"v\\u0000"}}'));
  refused(bytes('{"command":"ls","cwd":"a\\u0000"}'));
  refused(bytes('{"command":"ls","args":["\\ud800"]}'));
});

test("parseExecRequest() refuses env names that are not plain identifiers", () => {
  refused(bytes('{"command":"ls","env":{"A=B":"x"}}'));
  refused(bytes('{"command":"ls","env":{"":"x"}}'));
  refused(bytes('{"command":"ls","env":{"1A":"x"}}'));
});

test("parseExecRequest() keeps a guest's __proto__ env key as data", () => {
  const r = parseExecRequest(bytes('{"command":"ls","env":{"__proto__":"x"}}'));
  assert.is(Object.getPrototypeOf(r.env), null);
  assert.is(Object.keys(r.env)[0], "__proto__");
});

test("parseExecRequest() refuses a huge request before parsing it", () => {
  const huge = new Uint8Array(REQUEST_LIMITS.requestBytes + 1).fill(0x20);
  assert.ok(refused(huge).message.includes("bytes"));
});

test("parseExecRequest() enforces per-field caps", () => {
  refused(bytes(JSON.stringify({ command: "x".repeat(REQUEST_LIMITS.commandBytes + 1) })));
  refused(bytes(JSON.stringify({ command: "ls", args: new Array(REQUEST_LIMITS.args + 1).fill("a") })));
  refused(bytes(JSON.stringify({ command: "ls", stdin: "é".repeat(REQUEST_LIMITS.stdinBytes / 2 + 1) })));
  const env: Record<string, string> = {};
  for (let i = 0; i <= REQUEST_LIMITS.envEntries; i++) env[`V${i}`] = "x";
  refused(bytes(JSON.stringify({ command: "ls", env })));
});

test("validateExecRequest() refuses non-objects from a host as well", () => {
  assert.throws(() => validateExecRequest("ls"), (e: unknown) => e instanceof SandboxError);
});

test.run();
