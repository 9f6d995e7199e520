import { suite } from "uvu";
import * as assert from "uvu/assert";
import { closeExecWorker, execSync } from "../../lib/exec/exec_sync.ts";
import { createExecState } from "../../lib/exec/state.ts";
import { execScenarios } from "./_scenarios.ts";
import { policyFor, ran, req, text } from "./_support.ts";

const tests = suite("execSync() (worker bridge)");
execScenarios(tests, (request, policy, state) => Promise.resolve(execSync(request, policy, state)));

tests("execSync() blocks and returns the finished outcome", async () => {
  const policy = await policyFor(["echo"]);
  const outcome = execSync(req("echo", ["sync"]), policy, createExecState());
  assert.is(text(ran(outcome).stdout), "sync\n");
});

tests("execSync() starts a fresh worker after closeExecWorker()", async () => {
  const policy = await policyFor(["echo"]);
  closeExecWorker();
  assert.is(text(ran(execSync(req("echo", ["again"]), policy, createExecState())).stdout), "again\n");
  closeExecWorker();
});

tests.run();
