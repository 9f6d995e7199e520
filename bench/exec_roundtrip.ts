// Round trip of running `true`: execSync (worker bridge, policy checks,
// resolution) and exec() next to a raw spawn of the same binary, in one
// run, with the ratio. Isolation levels (PID namespace, network namespace)
// are reported separately: they add an unshare exec of their own.
// Run: node --import tsx bench/exec_roundtrip.ts   (or: deno run -A bench/exec_roundtrip.ts)
import { Bench } from "tinybench";
import { closeExecWorker, createExecState, defaultSandboxPolicy, exec, execSync } from "../lib/exec/mod.ts";
import type { SandboxPolicy } from "../lib/exec/mod.ts";
import { isQuick, recordTable, reportGoal } from "./_harness.ts";
import { tempDir } from "../tests/_helpers/temp.ts";

const TRUE = "/usr/bin/true";
const isDeno = typeof (globalThis as { Deno?: unknown }).Deno !== "undefined";

interface DenoLike {
  Command: new (path: string, o: object) => { output(): Promise<unknown> };
}

/** The peer: the runtime's own spawn, waiting for exit and closed pipes, as exec does. */
async function rawSpawn(): Promise<void> {
  if (isDeno) {
    const { Command } = (globalThis as unknown as { Deno: DenoLike }).Deno;
    await new Command(TRUE, { args: [], env: {}, clearEnv: true, stdin: "null", stdout: "piped", stderr: "piped" }).output();
    return;
  }
  const { spawn } = await import("node:child_process");
  await new Promise<void>((resolve, reject) => {
    const child = spawn(TRUE, [], { env: {}, stdio: "pipe" });
    child.stdout.resume();
    child.stderr.resume();
    child.stdin.end();
    child.on("error", reject);
    child.on("close", () => resolve());
  });
}

const base: SandboxPolicy = {
  ...defaultSandboxPolicy(),
  allowedCommands: ["true"],
  workingDirectory: await tempDir("exec-bench-"),
  maxExecutions: 1_000_000,
};
const plain: SandboxPolicy = { ...base, allowNetwork: true, processIsolation: "group" };
const pidns: SandboxPolicy = { ...base, allowNetwork: true, processIsolation: "pidns" };
const netns: SandboxPolicy = { ...base, allowNetwork: false, networkIsolation: "netns", processIsolation: "pidns" };
const request = { command: "true", args: [], env: {}, output: "utf8" as const };
const state = createExecState();

function sync(policy: SandboxPolicy): () => void {
  return () => {
    const outcome = execSync(request, policy, state);
    if (outcome.kind !== "ran" || outcome.response.exitCode !== 0) throw new Error(JSON.stringify(outcome));
  };
}

const quick = isQuick();
const bench = new Bench({ time: quick ? 300 : 2000, warmup: true, warmupIterations: quick ? 3 : 20, iterations: quick ? 10 : 64 });
bench
  .add("raw spawn (peer)", rawSpawn)
  .add("execSync, process group", sync(plain))
  .add("exec() async, process group", async () => {
    await exec(request, plain, state);
  })
  .add("execSync, PID namespace", sync(pidns))
  .add("execSync, PID + network namespace", sync(netns));
await bench.run();
closeExecWorker();

for (const task of bench.tasks) {
  const error = (task.result as { error?: unknown } | undefined)?.error;
  if (error !== undefined) throw new Error(`${task.name} failed: ${String(error)}`);
}
function latency(name: string) {
  const result = bench.tasks.find((t) => t.name === name)!.result;
  if (result.state !== "completed") throw new Error(`${name} did not complete (${result.state})`);
  return result.latency;
}
// The median: on a shared machine a few slow spawns would dominate the mean.
const median = (name: string) => latency(name).p50!;
const peer = median("raw spawn (peer)");
console.log(`runtime: ${isDeno ? "deno" : "node"}`);
for (const task of bench.tasks) {
  const ms = median(task.name);
  console.log(`${task.name.padEnd(36)} ${ms.toFixed(3).padStart(8)} ms/op (median)   ${(ms / peer).toFixed(2)}x raw spawn`);
}
recordTable({
  title: "sandbox_exec of `true`",
  baseline: "raw spawn (peer)",
  method: `median of one tinybench run${quick ? ", quick" : ""}`,
  cases: bench.tasks.map((task) => ({
    name: task.name,
    value: median(task.name) * 1e6,
    unit: "ns/exec",
    rme: latency(task.name).rme,
    samples: latency(task.name).samplesCount,
    ratio: median(task.name) / peer,
  })),
});
reportGoal("exec() async ÷ raw spawn", median("exec() async, process group") / peer, { max: 1.2 });
reportGoal("execSync, default isolation (PID + network namespace) ÷ raw spawn", median("execSync, PID + network namespace") / peer, { max: 1.2 });
