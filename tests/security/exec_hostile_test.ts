// Hostile sandbox_exec requests from a guest, end to end through the ABI:
// command-resolution tricks, argument and environment injection, cwd
// escapes, floods, loopback network, and children that ignore SIGTERM or
// daemonize. Refusals are ABI codes, audited, and nothing runs.
import { chmodSync, symlinkSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import type { AddressInfo } from "node:net";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { grant, WasmSandboxRuntime } from "../../mod.ts";
import type { HostCallRecord } from "../../lib/audit/mod.ts";
import { exec } from "../../lib/exec/exec.ts";
import { createExecState } from "../../lib/exec/state.ts";
import { policyFor, ran, req, text, waitGone } from "../exec/_support.ts";
import { wat } from "../_helpers/wat.ts";

const PERMISSION_DENIED = -2n;
const INVALID_ARGUMENT = -3n;

const GUEST = `(module
  (import "platform_sandbox" "sandbox_exec" (func $exec (param i32 i32 i32 i32) (result i64)))
  (import "sandbox" "take_response" (func $take (param i32 i32) (result i64)))
  (memory (export "memory") 64)
  (func (export "exec") (param i32 i32 i32 i32) (result i64)
    (call $exec (local.get 0) (local.get 1) (local.get 2) (local.get 3)))
  (func (export "take") (param i32 i32) (result i64) (call $take (local.get 0) (local.get 1))))`;

const OUT = 2 << 20;

async function guest(commands: string[], extra: Record<string, unknown> = {}) {
  const policy = await policyFor(commands, { networkIsolation: "none", ...extra });
  const records: HostCallRecord[] = [];
  const plugin = await new WasmSandboxRuntime().loadPlugin("p", await wat(GUEST), {
    capabilities: [grant("sandbox:exec", policy)],
    recorder: { record: (r) => records.push(r) },
  });
  /** Sends `request` (an object, or raw JSON text); returns the code or the parsed response. */
  const send = async (request: unknown): Promise<bigint | Record<string, unknown>> => {
    const len = plugin.memory.writeUtf8(0, typeof request === "string" ? request : JSON.stringify(request));
    const n = await plugin.call("exec", 0, len, OUT, 1 << 20) as bigint;
    return n < 0n ? n : JSON.parse(plugin.memory.readUtf8(OUT, Number(n)));
  };
  return { plugin, records, send, dir: policy.workingDirectory };
}

test("command-resolution tricks cannot reach a command outside the allow list", async () => {
  const g = await guest(["echo"]);
  symlinkSync("/bin/sh", `${g.dir}/echo`); // a local "echo" that is really sh
  symlinkSync("/bin/sh", `${g.dir}/sub/helper`);
  const tricks = ["sh", "/bin/sh", "/usr/bin/../bin/sh", "./echo", "sub/helper", "sub/../echo", "../../../../../../bin/sh", "echo/../sh", " echo", "echo ", "ECHO"];
  for (const command of tricks) {
    const r = await g.send({ command, args: ["-c", "echo escaped"] });
    assert.ok(typeof r === "bigint" && r < 0n, `${command}: ${String(r)}`);
  }
  assert.is(g.plugin.stats().executions, 0, "nothing ran");
  assert.is(g.records.length, tricks.length, "every refusal is audited");
  assert.ok(g.records.every((r) => r.decision === "deny" || Number(r.result) < 0));
});

test("argument injection: NUL bytes, lone surrogates and too many arguments are INVALID_ARGUMENT", async () => {
  const g = await guest(["echo"]);
  const requests = [
    `{"command":"echo","args":["a\\u0000b"]}`,
    `{"command":"echo\\u0000sh"}`,
    `{"command":"echo","args":["\\ud800"]}`,
    JSON.stringify({ command: "echo", args: Array.from({ length: 1025 }, () => "x") }),
    JSON.stringify({ command: "echo", args: ["x".repeat(128 * 1024 + 1)] }),
    `{"command":"echo","args":"-e"}`,
    `{"command":"echo","args":[1]}`,
  ];
  for (const request of requests) assert.is(await g.send(request), INVALID_ARGUMENT, request.slice(0, 60));
  assert.is(g.plugin.stats().executions, 0);
});

test("environment injection: '=' or NUL in names, loader variables and non-whitelisted names never reach the command", async () => {
  const g = await guest(["env"], { environmentWhitelist: ["GREETING"] });
  for (const env of [{ "A=B": "x" }, { "GREETING=X": "y" }, { "": "x" }, { "A\u0000B": "x" }, { "1X": "x" }]) {
    assert.is(await g.send({ command: "env", env }), INVALID_ARGUMENT, JSON.stringify(env));
  }
  for (const env of [{ LD_PRELOAD: "/tmp/evil.so" }, { PATH: "/tmp" }, { OTHER: "x" }]) {
    const r = await g.send({ command: "env", env });
    assert.ok(typeof r === "bigint" && r < 0n, JSON.stringify(env));
  }
  assert.is(await g.send({ command: "env", env: { GREETING: "a\u0000b" } }), INVALID_ARGUMENT);
  const ok = await g.send({ command: "env", env: { GREETING: "x=y; LD_PRELOAD=/evil" } }) as Record<string, unknown>;
  const lines = (ok.stdout as string).trim().split("\n").sort();
  assert.equal(lines, ["GREETING=x=y; LD_PRELOAD=/evil", "PATH=/usr/local/bin:/usr/bin:/bin"], "a value is data, not more variables");
});

test("cwd escapes through the ABI are refused and nothing runs", async () => {
  const g = await guest(["pwd"]);
  symlinkSync("/", `${g.dir}/root-link`);
  for (const cwd of ["..", "/", "/tmp", "root-link", "sub/../..", "sub\u0000/..", "x".repeat(5000)]) {
    const r = await g.send({ command: "pwd", cwd });
    assert.ok(typeof r === "bigint" && r < 0n, `${cwd.slice(0, 20)}: ${String(r)}`);
  }
  assert.is(g.plugin.stats().executions, 0);
});

test("a stdin flood is bounded: over the cap is refused, at the cap a command that reads little still finishes", async () => {
  const g = await guest(["head"]);
  assert.is(await g.send({ command: "head", args: ["-c", "4"], stdin: "x".repeat((1 << 20) + 1) }), INVALID_ARGUMENT);
  const r = await g.send({ command: "head", args: ["-c", "4"], stdin: "y".repeat(1 << 20) }) as Record<string, unknown>;
  assert.is(r.stdout, "yyyy");
  assert.is(r.timed_out, false);
});

test("an output flood through the ABI stops at the policy's cap and says it was truncated", async () => {
  const g = await guest(["yes"], { maxOutputBytes: 32 * 1024 });
  const r = await g.send({ command: "yes", timeout_ms: 3000 }) as Record<string, unknown>;
  assert.is((r.stdout as string).length, 32 * 1024);
  assert.is(r.truncated, true);
});

test("a command that ignores SIGTERM is still killed at the deadline, with its children", async () => {
  const policy = await policyFor(["sh"]);
  const r = ran(await exec(req("sh", ["-c", "trap '' TERM; sleep 29.317 & trap '' TERM; sleep 29.317; echo never"], { timeoutMs: 300 }), policy, createExecState()));
  assert.is(r.timedOut, true);
  assert.is(text(r.stdout), "");
  assert.equal(await waitGone("29.317"), [], "a child survived");
});

test("a double-forked daemon that ignores SIGTERM does not outlive its command", async () => {
  const policy = await policyFor(["sh"]);
  const daemon = "trap '' TERM HUP; exec sleep 28.713";
  const r = ran(await exec(req("sh", ["-c", `(sh -c "${daemon}" </dev/null >/dev/null 2>&1 &) ; echo launched`]), policy, createExecState()));
  assert.is(text(r.stdout), "launched\n");
  assert.equal(await waitGone("28.713"), [], "the daemon survived");
});

test("loopback network is unreachable for a guest's command when the policy has network off", async () => {
  const server = createServer((socket) => {
    socket.on("error", () => {});
    socket.end("hello\n");
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as AddressInfo).port;
  try {
    // The token's policy leaves network at its default (off) and isolation at its default.
    const policy = await policyFor(["bash"]);
    const plugin = await new WasmSandboxRuntime().loadPlugin("p", await wat(GUEST), { capabilities: [grant("sandbox:exec", policy)] });
    const request = JSON.stringify({ command: "bash", args: ["-c", `exec 3<>/dev/tcp/127.0.0.1/${port} && cat <&3`], timeout_ms: 2000 });
    const len = plugin.memory.writeUtf8(0, request);
    const n = await plugin.call("exec", 0, len, OUT, 1 << 20) as bigint;
    // Either the host refuses to run it at all, or it runs and cannot connect.
    if (n >= 0n) {
      const response = JSON.parse(plugin.memory.readUtf8(OUT, Number(n)));
      assert.not.ok(String(response.stdout).includes("hello"), "the command reached the host's loopback server");
      assert.is.not(response.exit_code, 0);
    } else {
      assert.ok(n === PERMISSION_DENIED || n < 0n);
    }
  } finally {
    server.close();
  }
});

test("a script in the working directory that is not on the allow list cannot be run by path", async () => {
  const g = await guest(["echo"]);
  writeFileSync(`${g.dir}/run.sh`, "#!/bin/sh\necho escaped\n");
  chmodSync(`${g.dir}/run.sh`, 0o755);
  for (const command of ["./run.sh", `${g.dir}/run.sh`, "run.sh", "sub/../run.sh"]) {
    const r = await g.send({ command });
    assert.ok(typeof r === "bigint" && r < 0n, `${command}: ${String(r)}`);
  }
  assert.is(g.plugin.stats().executions, 0);
});

test.run();
