import { test } from "uvu";
import * as assert from "uvu/assert";
import { SandboxError } from "../../lib/errors.ts";
import { defaultSandboxPolicy, validateSandboxPolicy } from "../../lib/exec/policy.ts";
import type { SandboxPolicy } from "../../lib/exec/policy.ts";
import { createExecState } from "../../lib/exec/state.ts";

test("defaultSandboxPolicy() allows no command, no network and no working directory", () => {
  const p = defaultSandboxPolicy();
  assert.equal(p.allowedCommands, []);
  assert.is(p.allowNetwork, false);
  assert.is(p.workingDirectory, "");
  assert.is(p.networkIsolation, "auto");
  validateSandboxPolicy(p);
});

test("validateSandboxPolicy() refuses malformed host policies", () => {
  const bad: Partial<SandboxPolicy>[] = [
    { allowedCommands: ["bin/ls"] },
    { allowedCommands: [""] },
    { maxExecutionTimeMs: 0 },
    { maxOutputBytes: -1 },
    { maxExecutions: 1.5 },
    { workingDirectory: "relative" },
    { searchPath: ["bin"] },
    { networkIsolation: "off" as never },
    { processIsolation: "none" as never },
    { limits: { cpuSeconds: 0 } },
    { filesystem: { readOnly: ["usr"], readWrite: [] } },
  ];
  for (const patch of bad) {
    assert.throws(
      () => validateSandboxPolicy({ ...defaultSandboxPolicy(), ...patch }),
      (e: unknown) => e instanceof SandboxError && e.code === "InvalidArgument",
      JSON.stringify(patch),
    );
  }
});

test("createExecState() counts up to the limit and reset() starts over", () => {
  const state = createExecState();
  assert.ok(state.tryReserve(2));
  const second = state.tryReserve(2);
  assert.ok(second);
  assert.is(state.tryReserve(2), undefined);
  second!.release();
  second!.release();
  assert.is(state.executions, 1);
  state.reset();
  assert.is(state.executions, 0);
  assert.ok(state.tryReserve(1));
});

test("a reservation made before reset() is not released into the new round", () => {
  const state = createExecState();
  const old = state.tryReserve(5)!;
  state.reset();
  state.tryReserve(5);
  old.release();
  assert.is(state.executions, 1);
});

test.run();
