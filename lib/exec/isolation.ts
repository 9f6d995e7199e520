/**
 * Which isolation mechanisms work on this host, probed once by running each
 * one on `true(1)`: a mechanism counts only if it actually ran a command.
 *
 * @module
 */
import type { CommandRunner, ExecHost } from "./command_runner.ts";
import { findOnSearchPath } from "./resolve_command.ts";
import { runQuietly } from "./run_process.ts";

/** Where isolation tools are looked for: fixed system directories, never a policy's or guest's PATH. */
export const TOOL_DIRECTORIES: readonly string[] = ["/usr/bin", "/bin", "/usr/sbin", "/sbin"];

/**
 * The isolation one command actually ran under, strongest first (what each
 * guarantees is in docs/EXEC.md):
 * - `"bwrap"`: bubblewrap — user, PID, IPC, UTS, cgroup and (network off)
 *   network namespaces, and a file-system view of the declared paths only;
 * - `"netns+pidns"` / `"netns"`: unshare network and IPC namespaces, with or
 *   without a PID namespace — path-named UNIX sockets stay reachable;
 * - `"pidns"`: a PID namespace only (the host network is shared);
 * - `"group"`: a process group only.
 *
 * `"unknown"` appears only when the exec worker failed before it could say.
 */
export type IsolationLevel = "bwrap" | "netns+pidns" | "netns" | "pidns" | "group" | "unknown";

/** The outcome of {@linkcode probeIsolation}. */
export interface IsolationSupport {
  /** `unshare -rin`: fresh network (loopback only, down) and IPC namespaces. */
  netns: boolean;
  /** `unshare -rp --fork --kill-child`: a fresh PID namespace. */
  pidns: boolean;
  /** The PID namespace also gets its own /proc (`-m --mount-proc`). */
  pidnsProc: boolean;
  /** bubblewrap with {@linkcode BWRAP_BASE_ARGS} and a network namespace. */
  bwrap: boolean;
  /** `prlimit` can set resource limits. */
  prlimit: boolean;
  /** Absolute paths of the tools that were found. */
  tools: { unshare?: string; bwrap?: string; prlimit?: string };
}

/**
 * The namespaces and fresh mounts of every bubblewrap run. The probe uses
 * exactly these, so "bwrap works" means this set works here (a container
 * that refuses a fresh /proc makes bubblewrap unavailable, not broken).
 */
export const BWRAP_BASE_ARGS: readonly string[] = [
  "--unshare-user", "--unshare-pid", "--unshare-ipc", "--unshare-uts", "--unshare-cgroup-try",
  "--die-with-parent", "--new-session",
  "--proc", "/proc", "--dev", "/dev", "--tmpfs", "/tmp",
];

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

async function probe({ commands: runner, fs }: ExecHost): Promise<IsolationSupport> {
  const find = (name: string) => findOnSearchPath(fs, name, TOOL_DIRECTORIES);
  const [unshare, bwrap, prlimit, trueCmd] = await Promise.all([find("unshare"), find("bwrap"), find("prlimit"), find("true")]);
  const support: IsolationSupport = { netns: false, pidns: false, pidnsProc: false, bwrap: false, prlimit: false, tools: {} };
  if (trueCmd === undefined) return support; // nothing can be probed: everything counts as unavailable
  const [netns, pidns, pidnsProc, bw, pl] = await Promise.all([
    unshare === undefined ? false : works(runner, unshare, ["-rin", "--", trueCmd]),
    unshare === undefined ? false : works(runner, unshare, ["-rp", "--fork", "--kill-child", "--", trueCmd]),
    unshare === undefined
      ? false
      : works(runner, unshare, ["-rpm", "--fork", "--kill-child", "--mount-proc", "--", trueCmd]),
    bwrap === undefined
      ? false
      : works(runner, bwrap, ["--ro-bind", "/", "/", ...BWRAP_BASE_ARGS, "--unshare-net", "--", trueCmd]),
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
 * const support = await probeIsolation(await hostPlatform());
 * if (!support.bwrap) console.warn("with the network off, exec is denied unless the policy accepts networkIsolation: \"netns\"");
 * ```
 */
export function probeIsolation(host: ExecHost): Promise<IsolationSupport> {
  probed ??= probe(host);
  return probed;
}
