// Network, resource and file-system isolation of exec'd commands.
import { createServer } from "node:net";
import type { AddressInfo, Server } from "node:net";
import { writeFileSync } from "node:fs";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { exec } from "../../lib/exec/exec.ts";
import { probeIsolation } from "../../lib/exec/isolation.ts";
import { hostPlatform } from "../../lib/platform/host_platform.ts";
import { createExecState } from "../../lib/exec/state.ts";
import { defaultSandboxPolicy } from "../../lib/exec/policy.ts";
import { grant, WasmSandboxRuntime } from "../../mod.ts";
import type { ExecEvent } from "../../lib/exec/mod.ts";
import { wat } from "../_helpers/wat.ts";
import { hasBwrap, policyFor, ran, req, text } from "../exec/_support.ts";

async function listen(): Promise<{ server: Server; port: number }> {
  const server = createServer((socket) => {
    socket.on("error", () => {}); // the client closes abruptly
    socket.end("hello\n");
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { server, port: (server.address() as AddressInfo).port };
}

const connect = (port: number) => req("bash", ["-c", `exec 3<>/dev/tcp/127.0.0.1/${port} && echo connected`], { timeoutMs: 2000 });

test("a loopback connection to the host is refused when network is off and accepted when on", async () => {
  const { server, port } = await listen();
  try {
    const off = await policyFor(["bash"]);
    const refused = ran(await exec(connect(port), off, createExecState()));
    assert.is.not(refused.exitCode, 0);
    assert.not.ok(text(refused.stdout).includes("connected"));
    const on = ran(await exec(connect(port), { ...off, allowNetwork: true }, createExecState()));
    assert.is(text(on.stdout), "connected\n");
    // "none" opts out of isolation explicitly: the host network is reachable.
    const optedOut = ran(await exec(connect(port), { ...off, networkIsolation: "none" }, createExecState()));
    assert.is(text(optedOut.stdout), "connected\n");
  } finally {
    server.close();
  }
});

test("probeIsolation() finds the mechanisms this host offers", async () => {
  const support = await probeIsolation(await hostPlatform());
  // Linux hosts that allow unprivileged user namespaces (CI does) support both.
  assert.ok(support.netns, "unshare -rn works");
  assert.ok(support.pidns, "unshare -rp works");
  assert.is(support.tools.unshare !== undefined, true);
});

test("the command is init of its own PID namespace and sees only its own processes", async () => {
  const policy = await policyFor(["sh"]);
  const r = ran(await exec(req("sh", ["-c", "echo $$; ls /proc | grep -c '^[0-9]'"]), policy, createExecState()));
  const [pid, count] = text(r.stdout).trim().split("\n").map(Number);
  // Under bubblewrap its own small init is PID 1 and reaps; the command comes next.
  const bwrapInit = r.isolation === "bwrap" ? 1 : 0;
  assert.is(pid, 1 + bwrapInit);
  assert.ok(count <= 3 + bwrapInit, `saw ${count} processes`);
});

test("prlimit limits reach the command", async () => {
  const support = await probeIsolation(await hostPlatform());
  if (!support.prlimit) {
    console.log("  (skipped: prlimit is not available on this host)");
    return;
  }
  const policy = await policyFor(["cat", "truncate"], {
    limits: { cpuSeconds: 7, fileSizeBytes: 4096, processes: 512, addressSpaceBytes: 1 << 30 },
  });
  const limits = text(ran(await exec(req("cat", ["/proc/self/limits"]), policy, createExecState())).stdout);
  assert.match(limits, /Max cpu time\s+7\s+7\s+seconds/);
  assert.match(limits, /Max file size\s+4096\s+4096\s+bytes/);
  assert.match(limits, /Max processes\s+512\s+512/);
  assert.match(limits, /Max address space\s+1073741824\s+1073741824/);
  const big = ran(await exec(req("truncate", ["-s", "1M", "big"]), policy, createExecState()));
  assert.is.not(big.exitCode, 0);
});

test("bubblewrap shows only declared paths and isolates the network", async () => {
  const support = await probeIsolation(await hostPlatform());
  if (!support.bwrap) {
    console.log("  (skipped: bubblewrap (bwrap) is not installed or does not work on this host)");
    return;
  }
  const { server, port } = await listen();
  try {
    const policy = await policyFor(["bash", "cat", "ls"], { networkIsolation: "bwrap" });
    writeFileSync(`${policy.workingDirectory}/visible.txt`, "inside\n");
    const secret = `${policy.workingDirectory}-secret.txt`;
    writeFileSync(secret, "outside\n");
    assert.is(text(ran(await exec(req("cat", ["visible.txt"]), policy, createExecState())).stdout), "inside\n");
    const hidden = ran(await exec(req("cat", [secret]), policy, createExecState()));
    assert.is.not(hidden.exitCode, 0);
    assert.is(text(hidden.stdout), "");
    const etc = ran(await exec(req("ls", ["/etc"]), policy, createExecState()));
    assert.not.ok(text(etc.stdout).includes("passwd"));
    const net = ran(await exec(connect(port), policy, createExecState()));
    assert.not.ok(text(net.stdout).includes("connected"));
    const declared = { ...policy, filesystem: { readOnly: ["/usr", "/bin", "/lib", "/lib64", secret], readWrite: [] } };
    assert.is(text(ran(await exec(req("cat", [secret]), declared, createExecState())).stdout), "outside\n");
  } finally {
    server.close();
  }
});

const EXEC_GUEST = `(module
  (import "platform_sandbox" "sandbox_exec" (func $exec (param i32 i32 i32 i32) (result i64)))
  (memory (export "memory") 2)
  (func (export "exec") (param i32 i32 i32 i32) (result i64)
    (call $exec (local.get 0) (local.get 1) (local.get 2) (local.get 3))))`;

test("a guest under the default isolation gets bubblewrap, or a refusal the host and the audit log see", async () => {
  const { workingDirectory } = await policyFor([]);
  const records: string[] = [];
  const events: ExecEvent[] = [];
  const plugin = await new WasmSandboxRuntime().loadPlugin("p", await wat(EXEC_GUEST), {
    // Only the commands and directory are set: network and isolation are the defaults.
    capabilities: [grant("sandbox:exec", { allowedCommands: ["true"], workingDirectory })],
    recorder: { record: (e) => records.push(`${e.function}:${e.decision}:${String(e.result)}`) },
    onExec: (e) => events.push(e),
  });
  assert.is(defaultSandboxPolicy().allowNetwork, false);
  const len = plugin.memory.writeUtf8(0, JSON.stringify({ command: "true" }));
  const n = await plugin.call("exec", 0, len, 1024, 60000) as bigint;
  if (await hasBwrap()) {
    assert.ok(n > 0n, `result ${n}`);
    assert.is(JSON.parse(plugin.memory.readUtf8(1024, Number(n))).isolation, "bwrap");
    assert.equal(events.map((e) => [e.outcome, e.isolation]), [["ran", "bwrap"]]);
  } else {
    assert.is(n, -2n);
    assert.equal(records, ["sandbox_exec:allow:-2"]);
    assert.is(events[0].outcome, "denied");
    assert.match(events[0].reason ?? "", "bubblewrap");
    assert.is(plugin.stats().executions, 0);
    console.log("  (bubblewrap is not available: checked the default refuses, audited and reported)");
  }
});

test.run();
