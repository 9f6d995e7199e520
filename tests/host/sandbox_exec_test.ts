import { existsSync } from "node:fs";
import { join } from "node:path";
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { grant, WasmSandboxRuntime } from "../../mod.ts";
import type { ExecEvent, ExecObserver } from "../../lib/exec/mod.ts";
import { tempDir } from "../_helpers/temp.ts";
import { wat } from "../_helpers/wat.ts";

const test = suite("platform_sandbox.sandbox_exec through the runtime");

const GUEST = `(module
  (import "platform_sandbox" "sandbox_exec" (func $exec (param i32 i32 i32 i32) (result i64)))
  (import "sandbox" "take_response" (func $take (param i32 i32) (result i64)))
  (memory (export "memory") 4)
  (func (export "exec") (param i32 i32 i32 i32) (result i64)
    (call $exec (local.get 0) (local.get 1) (local.get 2) (local.get 3)))
  (func (export "take") (param i32 i32) (result i64) (call $take (local.get 0) (local.get 1))))`;

async function setup(policy: Record<string, unknown> | undefined, onExec?: ExecObserver) {
  const records: string[] = [];
  const runtime = new WasmSandboxRuntime();
  const plugin = await runtime.loadPlugin("p", await wat(GUEST), {
    capabilities: [grant("sandbox:exec", policy)],
    recorder: { record: (e) => records.push(`${e.function}:${String(e.result)}`) },
    onExec,
  });
  // sandbox_exec is async: the plugin runs with JSPI or in a worker, so every call is awaited.
  const exec = async (request: unknown, outCap = 65536) => {
    const len = plugin.memory.writeUtf8(0, typeof request === "string" ? request : JSON.stringify(request));
    const n = await plugin.call("exec", 0, len, 100_000, outCap) as bigint;
    return n;
  };
  const response = (n: bigint) => JSON.parse(plugin.memory.readUtf8(100_000, Number(n)));
  return { plugin, exec, response, records };
}

test("an allowed command runs and answers with the JSON response", async () => {
  const cwd = await tempDir();
  const { exec, response } = await setup({ allowedCommands: ["echo"], workingDirectory: cwd, networkIsolation: "none" });
  const n = await exec({ command: "echo", args: ["hello", "world"] });
  assert.ok(n > 0n, `result ${n}`);
  const r = response(n);
  assert.is(r.exit_code, 0);
  assert.is(r.stdout, "hello world\n");
  assert.is(r.timed_out, false);
  assert.is(r.truncated, false);
});

test("a command outside the allow list is PERMISSION_DENIED and audited", async () => {
  const cwd = await tempDir();
  const { exec, records } = await setup({ allowedCommands: ["echo"], workingDirectory: cwd, networkIsolation: "none" });
  assert.is(await exec({ command: "ls" }), -2n);
  assert.equal(records, ["sandbox_exec:-2"]);
});

test("a denied exec keeps its reason in the audit record (and the hash-chained file); the guest sees only -2", async () => {
  const cwd = await tempDir();
  const runtime = new WasmSandboxRuntime();
  const plugin = await runtime.loadPlugin("p", await wat(GUEST), {
    capabilities: [grant("sandbox:exec", { allowedCommands: ["echo"], workingDirectory: cwd, networkIsolation: "none" })],
  });
  const len = plugin.memory.writeUtf8(0, JSON.stringify({ command: "ls" }));
  assert.is(await plugin.call("exec", 0, len, 100_000, 65536), -2n);
  const [record] = runtime.audit.events().events;
  assert.is(record.function, "sandbox_exec");
  assert.is(record.result, -2n);
  assert.type(record.reason, "string");
  assert.match(record.reason!, /ls/);
  assert.not.match(plugin.memory.readUtf8(100_000, 16), /ls/, "nothing about the reason reaches the guest");
});

test("a token without a policy allows nothing", async () => {
  const { exec } = await setup(undefined);
  assert.is(await exec({ command: "echo", args: ["x"] }), -2n);
});

test("malformed JSON and invalid UTF-8 are INVALID_ARGUMENT", async () => {
  const cwd = await tempDir();
  const { exec, plugin } = await setup({ allowedCommands: ["echo"], workingDirectory: cwd, networkIsolation: "none" });
  assert.is(await exec("{not json"), -3n);
  assert.is(await exec({ command: 42 }), -3n);
  plugin.memory.write(0, new Uint8Array([0x7b, 0xff, 0x7d]));
  assert.is(await plugin.call("exec", 0, 3, 100_000, 1000), -3n);
  assert.is(await plugin.call("exec", 0, 0x7fffffff, 100_000, 1000), -3n, "huge request length");
});

test("output larger than out_cap is parked for take_response", async () => {
  const cwd = await tempDir();
  const { exec, plugin } = await setup({ allowedCommands: ["echo"], workingDirectory: cwd, networkIsolation: "none" });
  const n = await exec({ command: "echo", args: ["x".repeat(500)] }, 10);
  assert.ok(n > 500n);
  assert.is(await plugin.call("take", 100_000, Number(n)), n);
  assert.is(JSON.parse(plugin.memory.readUtf8(100_000, Number(n))).stdout.length, 501);
});

test("the execution limit is counted per sandbox and can be reset by the host", async () => {
  const cwd = await tempDir();
  const { exec, plugin } = await setup({ allowedCommands: ["true"], workingDirectory: cwd, maxExecutions: 2, networkIsolation: "none" });
  assert.ok(await exec({ command: "true" }) > 0n);
  assert.ok(await exec({ command: "true" }) > 0n);
  assert.is(await exec({ command: "true" }), -2n);
  assert.is(plugin.stats().executions, 2);
  plugin.resetExecutionCount();
  assert.ok(await exec({ command: "true" }) > 0n);
});

test("the guest's response and the host's onExec observer both name the isolation the command got", async () => {
  const cwd = await tempDir();
  const events: ExecEvent[] = [];
  const { exec, response } = await setup(
    { allowedCommands: ["echo"], workingDirectory: cwd, networkIsolation: "none", processIsolation: "group" },
    (e) => events.push(e),
  );
  const n = await exec({ command: "echo", args: ["x"] });
  assert.is(response(n).isolation, "group");
  assert.is(await exec({ command: "ls" }), -2n);
  assert.equal(events[0], { pluginId: "p", command: "echo", outcome: "ran", isolation: "group", exitCode: 0 });
  assert.is(events[1].outcome, "denied");
  assert.match(events[1].reason ?? "", "is not in the policy's allowed commands");
});

test("an observer that throws does not change what the guest is told", async () => {
  const cwd = await tempDir();
  const { exec, response, records } = await setup(
    { allowedCommands: ["echo"], workingDirectory: cwd, networkIsolation: "none" },
    () => {
      throw new Error("observer bug");
    },
  );
  const error = console.error;
  const printed: unknown[] = [];
  console.error = (...args: unknown[]) => printed.push(args.join(" "));
  try {
    assert.is(response(await exec({ command: "echo", args: ["once"] })).stdout, "once\n");
  } finally {
    console.error = error;
  }
  assert.match(String(printed[0]), "observer bug");
  assert.is(records.length, 1);
  assert.ok(!records[0].endsWith(":-6"));
});

test("callSync is refused with InvalidState: the command does not run and nothing is audited", async () => {
  const cwd = await tempDir();
  const { plugin, records } = await setup({ allowedCommands: ["touch"], workingDirectory: cwd, networkIsolation: "none" });
  const len = plugin.memory.writeUtf8(0, JSON.stringify({ command: "touch", args: ["ran"] }));
  const error = (() => {
    try {
      plugin.callSync("exec", 0, len, 100_000, 65536);
    } catch (err) {
      return err as { code?: string };
    }
  })();
  assert.is(error?.code, "InvalidState");
  assert.ok(["jspi", "worker"].includes(plugin.info().mode), plugin.info().mode);
  assert.equal(records, []);
  assert.is(plugin.stats().executions, 0);
  assert.not.ok(existsSync(join(cwd, "ran")), "touch did not run");
  assert.is(plugin.state, "Ready", "the refused call leaves the plugin usable");
  assert.ok(await plugin.call("exec", 0, len, 100_000, 65536) as bigint > 0n);
  assert.ok(existsSync(join(cwd, "ran")), "through call() it runs");
  assert.is(records.length, 1);
  assert.is(plugin.stats().executions, 1);
});

test("a malformed policy in the token is refused at load", async () => {
  const e = await new WasmSandboxRuntime().loadPlugin("p", await wat(GUEST), {
    capabilities: [grant("sandbox:exec", { maxExecutionTimeMs: -1 })],
  }).catch((x) => x);
  assert.is(e.code, "InvalidArgument");
});

test.run();
