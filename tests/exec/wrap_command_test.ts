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
  assert.ok(refusal(wrapCommand(input, policy(), nothing)).includes("networkIsolation: \"none\""));
  refusal(wrapCommand(input, policy({ networkIsolation: "netns" }), { ...everything, netns: false }));
  refusal(wrapCommand(input, policy({ networkIsolation: "bwrap" }), { ...everything, bwrap: false }));
  refusal(wrapCommand(input, policy({ allowNetwork: true, processIsolation: "pidns" }), nothing));
  refusal(wrapCommand(input, policy({ allowNetwork: true, limits: { cpuSeconds: 1 } }), nothing));
});

test("wrapCommand() runs the command directly in a process group only when the policy opts out", () => {
  const result = wrapCommand(input, policy({ networkIsolation: "none", processIsolation: "group" }), everything);
  assert.equal("spec" in result && result.spec, {
    path: "/usr/bin/echo", args: ["a b"], env: { PATH: "/usr/bin" }, cwd: "/w/sub", newProcessGroup: true,
  });
  const plain = wrapCommand(input, policy({ networkIsolation: "none" }), nothing);
  assert.is("spec" in plain && plain.spec.path, "/usr/bin/echo");
});

test("wrapCommand() puts network and PID namespaces in one unshare, prlimit outermost", () => {
  const result = wrapCommand(input, policy({ limits: { cpuSeconds: 2, fileSizeBytes: 10 } }), everything);
  if (!("spec" in result)) throw new Error(result.refusal);
  assert.is(result.spec.path, "/usr/bin/prlimit");
  assert.equal(result.spec.args, [
    "--cpu=2", "--fsize=10", "--", "/usr/bin/unshare", "-rnpm", "--fork", "--kill-child", "--mount-proc", "--",
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
