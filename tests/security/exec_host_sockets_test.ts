// With the network off, a command reaches no host UNIX socket: neither a
// path-named one in the file system (think /var/run/docker.sock) nor one in
// the abstract namespace. Each case first proves, with isolation explicitly
// off, that the client really can reach the socket from this host.
import { createServer } from "node:net";
import type { Server } from "node:net";
import { realpathSync } from "node:fs";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { exec } from "../../lib/exec/exec.ts";
import { probeIsolation } from "../../lib/exec/isolation.ts";
import type { SandboxPolicy } from "../../lib/exec/policy.ts";
import { DEFAULT_SEARCH_PATH, defaultSandboxPolicy } from "../../lib/exec/policy.ts";
import { findOnSearchPath } from "../../lib/exec/resolve_command.ts";
import { createExecState } from "../../lib/exec/state.ts";
import { hostPlatform, isDeno } from "../../lib/platform/host_platform.ts";
import { tempDir } from "../_helpers/temp.ts";
import { policyFor, ran, req, text } from "../exec/_support.ts";

// A UNIX-socket client: prints what the server says, or "refused: <error>".
const PYTHON_CLIENT = `
import socket, sys
address = sys.argv[1].encode("latin-1")
if address.startswith(b"@"):
    address = b"\\0" + address[1:]
    if sys.argv[2] == "padded":
        address = address.ljust(108, b"\\0")
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.settimeout(2)
try:
    s.connect(address)
    print("connected:", s.recv(64).decode().strip())
except Exception as e:
    print("refused:", e)
`;
const NODE_CLIENT = `
const socket = require("net").connect(process.argv[1]);
socket.setTimeout(2000, () => { console.log("refused: timeout"); process.exit(0); });
socket.on("data", (d) => { console.log("connected: " + String(d).trim()); process.exit(0); });
socket.on("error", (e) => { console.log("refused: " + e.message); process.exit(0); });
`;

interface Client {
  command: string;
  args(address: string): string[];
}

/** python3 or node from the policy's default search path, or undefined (the caller skips, saying so). */
async function findClient(abstract: boolean): Promise<Client | undefined> {
  const { fs } = await hostPlatform();
  if (await findOnSearchPath(fs, "python3", DEFAULT_SEARCH_PATH)) {
    // Node's libuv binds abstract names padded with NULs to the full sun_path; Deno binds the exact name.
    const padding = isDeno ? "exact" : "padded";
    return { command: "python3", args: (address) => ["-c", PYTHON_CLIENT, address, padding] };
  }
  if (!abstract && await findOnSearchPath(fs, "node", DEFAULT_SEARCH_PATH)) {
    return { command: "node", args: (address) => ["-e", NODE_CLIENT, address] };
  }
  return undefined;
}

async function serve(address: string): Promise<Server> {
  const server = createServer((socket) => {
    socket.on("error", () => {});
    socket.end("host secret\n");
  });
  await new Promise<void>((resolve, reject) => {
    server.on("error", reject);
    server.listen(address, resolve);
  });
  return server;
}

/** Allows `command` and nothing else; every isolation setting is the default's. */
async function defaultPolicyFor(command: string): Promise<SandboxPolicy> {
  const { networkIsolation, processIsolation, allowNetwork } = defaultSandboxPolicy();
  return await policyFor([command], { networkIsolation, processIsolation, allowNetwork });
}

async function attempt(client: Client, address: string, policy: SandboxPolicy): Promise<string> {
  const outcome = await exec(req(client.command, client.args(address), { timeoutMs: 4000 }), policy, createExecState());
  if (outcome.kind !== "ran") return `denied: ${outcome.reason}`;
  return text(outcome.response.stdout).trim() || text(outcome.response.stderr).trim();
}

/** The default policy, network off: the socket must be out of reach, whichever way exec declines. */
async function assertUnreachable(client: Client, address: string, policy: SandboxPolicy): Promise<void> {
  const result = await attempt(client, address, policy);
  assert.not.ok(result.startsWith("connected"), `the command reached the host socket: ${result}`);
  const support = await probeIsolation(await hostPlatform());
  if (support.bwrap) {
    const response = ran(await exec(req(client.command, client.args(address), { timeoutMs: 4000 }), policy, createExecState()));
    assert.is(response.isolation, "bwrap");
    assert.match(text(response.stdout), /^refused:/);
  } else {
    // Nothing here can hide path-named sockets: the default refuses to run rather than run weaker.
    assert.match(result, /^denied: .*bubblewrap/);
    console.log("  (bubblewrap is not available: checked that the default policy refuses to run)");
  }
}

test("a path-named host UNIX socket is unreachable under the default policy", async () => {
  const client = await findClient(false);
  if (!client) {
    console.log("  (skipped: neither python3 nor node is on the default search path to act as a socket client)");
    return;
  }
  const socketDir = realpathSync(await tempDir("wasm-sandbox-sock-"));
  const address = `${socketDir}/service.sock`;
  const server = await serve(address);
  try {
    const policy = await defaultPolicyFor(client.command);
    const control = await attempt(client, address, { ...policy, networkIsolation: "none" });
    assert.is(control, "connected: host secret", "with isolation explicitly off the client reaches the socket");
    await assertUnreachable(client, address, policy);
  } finally {
    server.close();
  }
});

test("an abstract host UNIX socket is unreachable under the default policy", async () => {
  const client = await findClient(true);
  if (!client) {
    console.log("  (skipped: python3 is not on the default search path to act as an abstract-socket client)");
    return;
  }
  const name = `wasm-sandbox-test-${Math.random().toString(36).slice(2)}`;
  const server = await serve(`\0${name}`);
  try {
    const policy = await defaultPolicyFor(client.command);
    const control = await attempt(client, `@${name}`, { ...policy, networkIsolation: "none" });
    if (control !== "connected: host secret") {
      console.log(`  (skipped: this runtime's abstract socket could not be reached even without isolation: ${control})`);
      return;
    }
    await assertUnreachable(client, `@${name}`, policy);
  } finally {
    server.close();
  }
});

test.run();
