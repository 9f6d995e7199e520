// Hostile exec requests: every way around the allow/block lists, the
// environment whitelist and the working directory must be refused.
import { chmodSync, copyFileSync, mkdirSync, symlinkSync } from "node:fs";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { exec } from "../../lib/exec/exec.ts";
import { defaultSandboxPolicy } from "../../lib/exec/policy.ts";
import { createExecState } from "../../lib/exec/state.ts";
import { deniedReason, policyFor, ran, req, text } from "../exec/_support.ts";

test("the default policy runs nothing", async () => {
  deniedReason(await exec(req("true"), defaultSandboxPolicy(), createExecState()));
  const withDir = { ...defaultSandboxPolicy(), workingDirectory: "/tmp" };
  assert.ok(deniedReason(await exec(req("true"), withDir, createExecState())).includes("not in the policy's allowed"));
});

test("a blocked command is blocked by name, absolute path, ./, symlink and through /bin", async () => {
  const policy = await policyFor(["cat", "echo"], { blockedCommands: ["cat"] });
  const dir = policy.workingDirectory;
  symlinkSync("/usr/bin/cat", `${dir}/cat`);
  symlinkSync("/usr/bin/cat", `${dir}/innocent`);
  symlinkSync(`${dir}/innocent`, `${dir}/sub/chain`);
  for (const command of ["cat", "/usr/bin/cat", "/bin/cat", "./cat", "./innocent", "sub/chain", "/usr/bin/../bin/cat"]) {
    assert.ok(deniedReason(await exec(req(command, ["/etc/hostname"]), policy, createExecState())).includes("blocked"), command);
  }
});

test("a blocked name still wins when the allow list names its absolute path", async () => {
  const policy = await policyFor(["/usr/bin/cat"], { blockedCommands: ["cat"] });
  deniedReason(await exec(req("/usr/bin/cat"), policy, createExecState()));
  const byPath = await policyFor(["cat"], { blockedCommands: ["/bin/cat"] });
  deniedReason(await exec(req("cat"), byPath, createExecState()));
});

test("a copy of a blocked binary under an allowed name is not allowed", async () => {
  const policy = await policyFor(["echo"], { blockedCommands: ["cat"] });
  copyFileSync("/usr/bin/cat", `${policy.workingDirectory}/echo`);
  chmodSync(`${policy.workingDirectory}/echo`, 0o755);
  assert.ok(deniedReason(await exec(req("./echo"), policy, createExecState())).includes("not in the policy's allowed"));
});

test("a PATH trick cannot redirect name lookup: the guest's PATH is refused and never used", async () => {
  const policy = await policyFor(["echo"], { environmentWhitelist: ["PATH"] });
  const evil = `${policy.workingDirectory}/bin`;
  mkdirSync(evil);
  copyFileSync("/usr/bin/cat", `${evil}/echo`);
  chmodSync(`${evil}/echo`, 0o755);
  assert.ok(deniedReason(await exec(req("echo", [], { env: { PATH: evil } }), policy, createExecState())).includes("PATH"));
  // Without the override, "echo" is the policy's echo, and the command sees the policy's PATH.
  assert.is(text(ran(await exec(req("echo", ["real"]), policy, createExecState())).stdout), "real\n");
  const r = ran(await exec(req("sh", ["-c", "echo $PATH"]), { ...policy, allowedCommands: ["sh"] }, createExecState()));
  assert.is(text(r.stdout), "/usr/local/bin:/usr/bin:/bin\n");
});

test("a host secret in the environment is not visible to the command", async () => {
  process.env.WASM_SANDBOX_TEST_SECRET = "hunter2";
  process.env.LD_PRELOAD_TEST_ONLY = "x";
  try {
    const policy = await policyFor(["env"]);
    const response = ran(await exec(req("env"), policy, createExecState()));
    const out = text(response.stdout);
    assert.not.ok(out.includes("hunter2"));
    // bubblewrap sets PWD to the directory it changed into (the command's own working directory).
    const pwd = response.isolation === "bwrap" ? `PWD=${policy.workingDirectory}\n` : "";
    assert.is(out, `PATH=/usr/local/bin:/usr/bin:/bin\n${pwd}`);
    // Positive control: whitelisting passes it; loader variables never pass.
    const open = { ...policy, environmentWhitelist: ["WASM_SANDBOX_TEST_SECRET", "LD_PRELOAD_TEST_ONLY"] };
    const shown = text(ran(await exec(req("env"), open, createExecState())).stdout);
    assert.ok(shown.includes("WASM_SANDBOX_TEST_SECRET=hunter2"));
    assert.not.ok(shown.includes("LD_PRELOAD"));
  } finally {
    delete process.env.WASM_SANDBOX_TEST_SECRET;
    delete process.env.LD_PRELOAD_TEST_ONLY;
  }
});

test("request env must be whitelisted and never names a loader or shell hook", async () => {
  const policy = await policyFor(["env"], { environmentWhitelist: ["GREETING", "LD_PRELOAD", "BASH_ENV", "NODE_OPTIONS"] });
  assert.ok(text(ran(await exec(req("env", [], { env: { GREETING: "hi" } }), policy, createExecState())).stdout).includes("GREETING=hi"));
  for (const name of ["OTHER", "LD_PRELOAD", "BASH_ENV", "NODE_OPTIONS", "DYLD_INSERT_LIBRARIES", "BASH_FUNC_x%%"]) {
    const outcome = await exec(req("env", [], { env: { [name]: "x" } }), policy, createExecState());
    assert.ok(outcome.kind === "denied" || outcome.kind === "invalid", name);
  }
});

test("cwd stays inside the working directory: ../, absolute and symlink escapes are refused", async () => {
  const policy = await policyFor(["pwd"]);
  const dir = policy.workingDirectory;
  symlinkSync("/etc", `${dir}/etc-link`);
  symlinkSync("..", `${dir}/sub/up`);
  for (const cwd of ["..", "../", "sub/../..", "/tmp", "/", "etc-link", "sub/up/..", "missing"]) {
    deniedReason(await exec(req("pwd", [], { cwd }), policy, createExecState()));
  }
  assert.is(text(ran(await exec(req("pwd", [], { cwd: "sub" }), policy, createExecState())).stdout), `${dir}/sub\n`);
  assert.is(text(ran(await exec(req("pwd", [], { cwd: "sub/up" }), policy, createExecState())).stdout), `${dir}\n`);
});

test.run();
