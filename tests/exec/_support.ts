// Shared fixtures for the exec tests (node:fs works on both runtimes; tests are not the core).
import { mkdirSync, readdirSync, readFileSync, realpathSync } from "node:fs";
import { probeIsolation } from "../../lib/exec/isolation.ts";
import { defaultSandboxPolicy } from "../../lib/exec/policy.ts";
import { hostPlatform } from "../../lib/platform/host_platform.ts";
import type { SandboxPolicy } from "../../lib/exec/policy.ts";
import type { ExecOutcome, ExecResponse } from "../../lib/exec/outcome.ts";
import type { ExecRequest } from "../../lib/exec/request.ts";
import { tempDir } from "../_helpers/temp.ts";

/** True when bubblewrap works here, so the default policy (network off) can run commands at all. */
export async function hasBwrap(): Promise<boolean> {
  return (await probeIsolation(await hostPlatform())).bwrap;
}

/**
 * A policy allowing `commands` in a fresh working directory. Where bubblewrap
 * is missing the default would refuse every command, so the behaviour tests
 * name the weaker "netns" level instead (tests/security covers the default).
 */
export async function policyFor(commands: string[], extra: Partial<SandboxPolicy> = {}): Promise<SandboxPolicy> {
  const dir = realpathSync(await tempDir("wasm-sandbox-exec-"));
  mkdirSync(`${dir}/sub`);
  const base = { ...defaultSandboxPolicy(), networkIsolation: (await hasBwrap()) ? "auto" as const : "netns" as const };
  return { ...base, allowedCommands: commands, workingDirectory: dir, maxExecutionTimeMs: 5000, ...extra };
}

/** A request with defaults filled in. */
export function req(command: string, args: string[] = [], extra: Partial<ExecRequest> = {}): ExecRequest {
  return { command, args, env: {}, output: "utf8", ...extra };
}

/** The response of an outcome that must have run. */
export function ran(outcome: ExecOutcome): ExecResponse {
  if (outcome.kind !== "ran") throw new Error(`expected the command to run, got ${outcome.kind}: ${outcome.reason}`);
  return outcome.response;
}

/** The reason of an outcome that must have been denied. */
export function deniedReason(outcome: ExecOutcome): string {
  if (outcome.kind !== "denied") throw new Error(`expected a denial, got ${outcome.kind}`);
  return outcome.reason;
}

export const text = (bytes: Uint8Array): string => new TextDecoder().decode(bytes);

/** Pids of live (non-zombie) processes whose command line contains `marker`. */
export function livePidsWith(marker: string): number[] {
  const pids: number[] = [];
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const cmdline = readFileSync(`/proc/${name}/cmdline`, "latin1").replaceAll("\0", " ");
      const state = readFileSync(`/proc/${name}/stat`, "latin1").replace(/^.*\) /, "")[0];
      if (cmdline.includes(marker) && state !== "Z" && state !== "X") pids.push(Number(name));
    } catch {
      // The process went away while we looked.
    }
  }
  return pids;
}

/** Polls until no live process matches `marker` (bounded: SIGKILL'd processes take a moment to be torn down). */
export async function waitGone(marker: string, maxMs = 2000): Promise<number[]> {
  const until = Date.now() + maxMs;
  for (;;) {
    const pids = livePidsWith(marker);
    if (pids.length === 0 || Date.now() > until) return pids;
    await new Promise((r) => setTimeout(r, 25));
  }
}
