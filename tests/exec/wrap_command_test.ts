import { test } from "uvu";
import * as assert from "uvu/assert";
import type { IsolationSupport } from "../../lib/exec/isolation.ts";
import { defaultSandboxPolicy } from "../../lib/exec/policy.ts";
import type { SandboxPolicy } from "../../lib/exec/policy.ts";
import { wrapCommand } from "../../lib/exec/wrap_command.ts";

const nothing: IsolationSupport = { netns: false, pidns: false, pidnsProc: false, bwrap: false, prlimit: false, tools: {} };
const everything: IsolationSupport = {
  netns: true, pidns: true, pidnsProc: true, bwrap: true, prlimit: true,
  tools: { unshare: "/usr/bin/unshare", bwrap: "/usr/bin/bwrap", prlimit: "/usr/bin/prlimit" },
};
const input = { executable: "/usr/bin/echo", args: ["a b"], env: { PATH: "/usr/bin" }, cwd: "/w/sub", root: "/w" };
const policy = (patch: Partial<SandboxPolicy> = {}): SandboxPolicy => ({ ...defaultSandboxPolicy(), ...patch });

function refusal(result: ReturnType<typeof wrapCommand>): string {
  if (!("refusal" in result)) throw new Error("expected a refusal");
  return result.refusal;
}

test("wrapCommand() fails closed when the network cannot be isolated", () => {
  refusal(wrapCommand(input, policy({ networkIsolation: "netns" }), { ...everything, netns: false }));
  refusal(wrapCommand(input, policy({ networkIsolation: "bwrap" }), { ...everything, bwrap: false }));
  refusal(wrapCommand(input, policy({ allowNetwork: true, processIsolation: "pidns" }), nothing));
  refusal(wrapCommand(input, policy({ allowNetwork: true, limits: { cpuSeconds: 1 } }), nothing));
});

test("network off by default takes bubblewrap, the one level that hides host UNIX sockets", () => {
  const result = wrapCommand(input, policy(), everything);
  if (!("spec" in result)) throw new Error(result.refusal);
  assert.is(result.isolation, "bwrap");
  assert.is(result.spec.path, "/usr/bin/bwrap");
  assert.ok(result.spec.args.includes("--unshare-net"));
});

test("without bubblewrap the default refuses rather than run at a weaker level, and says how to choose one", () => {
  const reason = refusal(wrapCommand(input, policy(), { ...everything, bwrap: false }));
  assert.match(reason, "bubblewrap");
  assert.match(reason, "networkIsolation: \"netns\"");
  assert.match(reason, "path-named UNIX sockets");
  assert.match(reason, "\"none\"");
  refusal(wrapCommand(input, policy(), nothing));
});

test("each invocation says which isolation it gives", () => {
  const level = (patch: Partial<SandboxPolicy>, support = everything) => {
    const result = wrapCommand(input, policy(patch), support);
    if (!("spec" in result)) throw new Error(result.refusal);
    return result.isolation;
  };
  assert.is(level({}), "bwrap");
  assert.is(level({ networkIsolation: "netns" }), "netns+pidns");
  assert.is(level({ networkIsolation: "netns", processIsolation: "group" }), "netns");
  assert.is(level({ networkIsolation: "none" }), "pidns");
  assert.is(level({ networkIsolation: "none", processIsolation: "group" }), "group");
  assert.is(level({ allowNetwork: true }), "pidns");
  assert.is(level({ allowNetwork: true }, { ...everything, pidns: false }), "group");
  assert.is(level({ allowNetwork: true, networkIsolation: "bwrap" }), "bwrap");
});

test("wrapCommand() runs the command directly in a process group only when the policy opts out", () => {
  const result = wrapCommand(input, policy({ networkIsolation: "none", processIsolation: "group" }), everything);
  assert.equal("spec" in result && result.spec, {
    path: "/usr/bin/echo", args: ["a b"], env: { PATH: "/usr/bin" }, cwd: "/w/sub", newProcessGroup: true,
  });
  const plain = wrapCommand(input, policy({ networkIsolation: "none" }), nothing);
  assert.is("spec" in plain && plain.spec.path, "/usr/bin/echo");
});

test("wrapCommand() puts network, IPC and PID namespaces in one unshare, prlimit outermost", () => {
  const result = wrapCommand(input, policy({ networkIsolation: "netns", limits: { cpuSeconds: 2, fileSizeBytes: 10 } }), everything);
  if (!("spec" in result)) throw new Error(result.refusal);
  assert.is(result.spec.path, "/usr/bin/prlimit");
  assert.equal(result.spec.args, [
    "--cpu=2", "--fsize=10", "--", "/usr/bin/unshare", "-rinpm", "--fork", "--kill-child", "--mount-proc", "--",
    "/usr/bin/echo", "a b",
  ]);
  assert.is(result.spec.newProcessGroup, false);
});

test("wrapCommand() binds the working directory and the executable under bubblewrap", () => {
  const result = wrapCommand(input, policy({ networkIsolation: "bwrap", filesystem: { readOnly: ["/usr"], readWrite: ["/data"] } }), everything);
  if (!("spec" in result)) throw new Error(result.refusal);
  const args = result.spec.args.join(" ");
  assert.is(result.spec.path, "/usr/bin/bwrap");
  assert.ok(args.includes("--unshare-net"));
  assert.ok(args.includes("--ro-bind-try /usr /usr"));
  assert.ok(args.includes("--bind-try /data /data"));
  assert.ok(args.includes("--bind /w /w --chdir /w/sub -- /usr/bin/echo a b"));
  const online = wrapCommand(input, policy({ networkIsolation: "bwrap", allowNetwork: true }), everything);
  assert.not.ok("spec" in online && online.spec.args.includes("--unshare-net"));
});

test.run();
