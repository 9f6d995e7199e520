// Behaviour every exec entry point must show; registered by exec_test.ts (async)
// and exec_sync_test.ts (through the worker bridge).
import { symlinkSync, writeFileSync, chmodSync } from "node:fs";
import type { Test } from "uvu";
import * as assert from "uvu/assert";
import type { ExecOutcome } from "../../lib/exec/outcome.ts";
import { encodeExecResponse } from "../../lib/exec/outcome.ts";
import type { SandboxPolicy } from "../../lib/exec/policy.ts";
import type { ExecRequest } from "../../lib/exec/request.ts";
import { createExecState } from "../../lib/exec/state.ts";
import type { ExecState } from "../../lib/exec/state.ts";
import { deniedReason, policyFor, ran, req, text, waitGone } from "./_support.ts";

export type ExecEntry = (request: ExecRequest, policy: SandboxPolicy, state: ExecState) => Promise<ExecOutcome>;

export function execScenarios(suite: Test, run: ExecEntry): void {
  suite("runs an allowed command with args verbatim, stdin and exit code", async () => {
    const policy = await policyFor(["sh"]);
    const r = ran(await run(req("sh", ["-c", 'printf "%s|" "$@"; cat; exit 3', "x", "a b", "$HOME", "*"], { stdin: "in\0put" }), policy, createExecState()));
    assert.is(text(r.stdout), "a b|$HOME|*|in\0put");
    assert.is(r.exitCode, 3);
    assert.is(r.signal, null);
    assert.is(r.timedOut, false);
    assert.is(r.truncated, false);
    const json = JSON.parse(text(encodeExecResponse(r)));
    assert.is(json.exit_code, 3);
    assert.is(json.stdout, "a b|$HOME|*|in\0put");
  });

  suite("base64 output carries non-UTF-8 bytes intact", async () => {
    const policy = await policyFor(["printf"]);
    const r = ran(await run(req("printf", ["\\377\\000\\200A"], { output: "base64" }), policy, createExecState()));
    const json = JSON.parse(text(encodeExecResponse(r)));
    assert.is(json.output, "base64");
    assert.equal([...Uint8Array.from(atob(json.stdout), (c) => c.charCodeAt(0))], [0xff, 0x00, 0x80, 0x41]);
    const utf8 = JSON.parse(text(encodeExecResponse({ ...r, output: "utf8" })));
    assert.is(utf8.stdout, "\ufffd\0\ufffdA");
  });

  suite("output over 1 MiB on both pipes does not deadlock", async () => {
    const policy = await policyFor(["sh"], { maxOutputBytes: 4 * 1024 * 1024 });
    const r = ran(await run(req("sh", ["-c", "head -c 1500000 /dev/zero; head -c 1200000 /dev/zero >&2; echo done >&2"]), policy, createExecState()));
    assert.is(r.exitCode, 0);
    assert.is(r.timedOut, false);
    assert.is(r.stdout.byteLength, 1_500_000);
    assert.is(r.stderr.byteLength, 1_200_005);
  });

  suite("a yes flood stays bounded at the cap and the pipe is closed", async () => {
    const policy = await policyFor(["yes"], { maxOutputBytes: 64 * 1024 });
    const r = ran(await run(req("yes", [], { timeoutMs: 3000 }), policy, createExecState()));
    assert.is(r.stdout.byteLength, 64 * 1024);
    assert.is(r.truncated, true);
    assert.is(r.stdoutTruncated, true);
    assert.is(r.stderrTruncated, false);
    // yes died of the closed pipe, not of the deadline.
    assert.is(r.timedOut, false);
  });

  suite("the timeout kills the whole tree: a grandchild sleeping past it is gone", async () => {
    for (const processIsolation of ["auto", "group"] as const) {
      const marker = processIsolation === "auto" ? "31.4159" : "31.4158";
      const policy = await policyFor(["sh"], { processIsolation });
      const r = ran(await run(req("sh", ["-c", `sleep ${marker} & sleep ${marker}; echo never`], { timeoutMs: 300 }), policy, createExecState()));
      assert.is(r.timedOut, true, processIsolation);
      assert.is(r.exitCode, null);
      assert.is(r.signal, "SIGKILL");
      assert.is(text(r.stdout), "");
      assert.equal(await waitGone(marker), [], `${processIsolation}: grandchild survived`);
    }
  });

  suite("a grandchild that calls setsid still dies with the PID namespace", async () => {
    const policy = await policyFor(["sh"], { processIsolation: "pidns" });
    const r = ran(await run(req("sh", ["-c", "setsid sleep 27.1828 & sleep 27.1828"], { timeoutMs: 300 }), policy, createExecState()));
    assert.is(r.timedOut, true);
    assert.equal(await waitGone("27.1828"), []);
  });

  suite("background children do not outlive a command that exits", async () => {
    const policy = await policyFor(["sh"]);
    const r = ran(await run(req("sh", ["-c", "sleep 23.456 >/dev/null 2>&1 & echo started"]), policy, createExecState()));
    assert.is(text(r.stdout), "started\n");
    assert.equal(await waitGone("23.456"), []);
  });

  suite("the request timeout is capped by the policy's", async () => {
    const policy = await policyFor(["sleep"], { maxExecutionTimeMs: 200 });
    const r = ran(await run(req("sleep", ["5"], { timeoutMs: 60_000 }), policy, createExecState()));
    assert.is(r.timedOut, true);
  });

  suite("the execution-count limit denies further requests until reset", async () => {
    const policy = await policyFor(["true"], { maxExecutions: 2 });
    const state = createExecState();
    ran(await run(req("true"), policy, state));
    deniedReason(await run(req("false"), policy, state)); // not allowed: not counted
    ran(await run(req("true"), policy, state));
    assert.ok(deniedReason(await run(req("true"), policy, state)).includes("limit of 2"));
    assert.is(state.executions, 2);
    state.reset();
    ran(await run(req("true"), policy, state));
  });

  suite("a malformed request object is invalid and not counted", async () => {
    const policy = await policyFor(["true"]);
    const state = createExecState();
    const outcome = await run({ ...req("true"), args: [1 as unknown as string] }, policy, state);
    assert.is(outcome.kind, "invalid");
    assert.is(state.executions, 0);
  });

  suite("a command that passes the policy but cannot start is 'ran' with an error", async () => {
    const policy = await policyFor([]);
    const script = `${policy.workingDirectory}/broken`;
    writeFileSync(script, "#!/nonexistent/interpreter\n");
    chmodSync(script, 0o755);
    policy.allowedCommands = [script];
    // Started directly (Node, plain): the host reports the failure in `error`.
    // Started behind a wrapper (unshare, or setsid on Deno): the wrapper reports it as exit 127.
    for (const processIsolation of ["group", "pidns"] as const) {
      const r = ran(await run(req("./broken"), { ...policy, processIsolation, networkIsolation: "none" }, createExecState()));
      if (r.error !== undefined) {
        assert.is(r.exitCode, null);
        assert.ok(JSON.parse(text(encodeExecResponse(r))).error.includes("broken"));
      } else {
        assert.is(r.exitCode, 127, processIsolation);
        assert.ok(text(r.stderr).includes("failed to execute"));
      }
    }
  });

  suite("several exec states run concurrently and count separately", async () => {
    const policy = await policyFor(["sh"], { maxExecutions: 1 });
    const states = [createExecState(), createExecState(), createExecState()];
    const outcomes = await Promise.all(states.map((s, i) => run(req("sh", ["-c", `echo ${i}`]), policy, s)));
    assert.equal(outcomes.map((o) => text(ran(o).stdout)), ["0\n", "1\n", "2\n"]);
    for (const s of states) deniedReason(await run(req("sh", ["-c", "true"]), policy, s));
  });

  suite("symlinked allowed commands run as their real path", async () => {
    const policy = await policyFor(["echo"]);
    symlinkSync("/usr/bin/echo", `${policy.workingDirectory}/e`);
    assert.is(text(ran(await run(req("./e", ["hi"]), policy, createExecState())).stdout), "hi\n");
  });
}
