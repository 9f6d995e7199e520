/**
 * Which isolation mechanisms work on this host, probed once by running each
 * one on `true(1)`: a mechanism counts only if it actually ran a command.
 *
 * @module
 */
import type { CommandRunner } from "./command_runner.ts";
import { findOnSearchPath } from "./resolve_command.ts";
import { runQuietly } from "./run_process.ts";

/** Where isolation tools are looked for: fixed system directories, never a policy's or guest's PATH. */
export const TOOL_DIRECTORIES: readonly string[] = ["/usr/bin", "/bin", "/usr/sbin", "/sbin"];

/** The outcome of {@linkcode probeIsolation}. */
export interface IsolationSupport {
  /** `unshare -rn`: a fresh network namespace (loopback only, down). */
  netns: boolean;
  /** `unshare -rp --fork --kill-child`: a fresh PID namespace. */
  pidns: boolean;
  /** The PID namespace also gets its own /proc (`-m --mount-proc`). */
  pidnsProc: boolean;
  /** bubblewrap with user, PID and network namespaces. */
  bwrap: boolean;
  /** `prlimit` can set resource limits. */
  prlimit: boolean;
  /** Absolute paths of the tools that were found. */
  tools: { unshare?: string; bwrap?: string; prlimit?: string };
}

const PROBE_TIMEOUT_MS = 5000;
let probed: Promise<IsolationSupport> | undefined;

async function works(runner: CommandRunner, path: string, args: string[]): Promise<boolean> {
  const status = await runQuietly(
    runner,
    { path, args, env: { PATH: TOOL_DIRECTORIES.join(":") }, cwd: "/", newProcessGroup: false },
    PROBE_TIMEOUT_MS,
  );
  return status?.code === 0;
}

async function probe(runner: CommandRunner): Promise<IsolationSupport> {
  const find = (name: string) => findOnSearchPath(runner, name, TOOL_DIRECTORIES);
  const [unshare, bwrap, prlimit, trueCmd] = await Promise.all([find("unshare"), find("bwrap"), find("prlimit"), find("true")]);
  const support: IsolationSupport = { netns: false, pidns: false, pidnsProc: false, bwrap: false, prlimit: false, tools: {} };
  if (trueCmd === undefined) return support; // nothing can be probed: everything counts as unavailable
  const [netns, pidns, pidnsProc, bw, pl] = await Promise.all([
    unshare === undefined ? false : works(runner, unshare, ["-rn", "--", trueCmd]),
    unshare === undefined ? false : works(runner, unshare, ["-rp", "--fork", "--kill-child", "--", trueCmd]),
    unshare === undefined
      ? false
      : works(runner, unshare, ["-rpm", "--fork", "--kill-child", "--mount-proc", "--", trueCmd]),
    bwrap === undefined ? false : works(runner, bwrap, [
      "--ro-bind", "/", "/", "--unshare-user", "--unshare-pid", "--unshare-net", "--die-with-parent", "--", trueCmd,
    ]),
    prlimit === undefined ? false : works(runner, prlimit, ["--core=0", "--", trueCmd]),
  ]);
  Object.assign(support, { netns, pidns, pidnsProc: pidns && pidnsProc, bwrap: bw, prlimit: pl });
  if (unshare !== undefined && (netns || pidns)) support.tools.unshare = unshare;
  if (bw && bwrap !== undefined) support.tools.bwrap = bwrap;
  if (pl && prlimit !== undefined) support.tools.prlimit = prlimit;
  return support;
}

/**
 * Probes, once per thread, which isolation mechanisms work here.
 *
 * @example
 * ```ts
 * const support = await probeIsolation(await commandRunner());
 * if (!support.netns && !support.bwrap) console.warn("exec with allowNetwork: false will be denied");
 * ```
 */
export function probeIsolation(runner: CommandRunner): Promise<IsolationSupport> {
  probed ??= probe(runner);
  return probed;
}
