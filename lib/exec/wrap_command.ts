/**
 * Turns an approved command into the exact invocation that runs it: wrapped
 * in prlimit for resource limits, then in unshare or bubblewrap for network
 * and process isolation, as the policy asks and the host supports. When the
 * policy asks for isolation the host cannot give, the result is a refusal:
 * exec fails closed. With the network off, the default ("auto") takes only
 * bubblewrap, the one level that also hides path-named host UNIX sockets;
 * a weaker level runs only when the policy names it ("netns", "none").
 *
 * @module
 */
import type { SpawnSpec } from "./command_runner.ts";
import { BWRAP_BASE_ARGS } from "./isolation.ts";
import type { IsolationLevel, IsolationSupport } from "./isolation.ts";
import type { ResourceLimits, SandboxPolicy } from "./policy.ts";

/** Host paths a bubblewrap view shows read-only when the policy declares none. */
export const DEFAULT_BWRAP_READ_ONLY: readonly string[] = [
  "/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32",
  "/etc/alternatives", "/etc/ld.so.cache", "/etc/ld.so.conf", "/etc/ld.so.conf.d", "/etc/localtime",
];

/** What to wrap. */
export interface WrapInput {
  /** Real path of the approved executable. */
  executable: string;
  args: readonly string[];
  env: Record<string, string>;
  /** Canonical working directory of the command. */
  cwd: string;
  /** Canonical policy working directory (bound read-write under bubblewrap). */
  root: string;
}

/** The invocation and the isolation it gives, or why the policy cannot be honoured here. */
export type WrapResult = { spec: SpawnSpec; isolation: IsolationLevel } | { refusal: string };

type Mechanism = "bwrap" | "unshare" | "plain";

/** Why the default refuses, and how a host can choose otherwise with its eyes open. */
const NO_SOCKET_HIDING =
  "allowNetwork is false and nothing on this host can hide host UNIX sockets: bubblewrap (bwrap) is not " +
  "installed or does not work. Install bubblewrap, or accept a weaker level explicitly: " +
  "networkIsolation: \"netns\" (no TCP/UDP, no abstract sockets, but path-named UNIX sockets such as " +
  "/var/run/docker.sock stay reachable) or \"none\" (the host network)";

function chooseMechanism(policy: SandboxPolicy, support: IsolationSupport): Mechanism | { refusal: string } {
  if (policy.networkIsolation === "bwrap") {
    return support.bwrap ? "bwrap" : { refusal: "networkIsolation is \"bwrap\" but bubblewrap does not work on this host" };
  }
  if (!policy.allowNetwork && policy.networkIsolation === "auto") {
    // Network off means no host IPC: only bubblewrap's file-system view hides path-named sockets.
    // Anything weaker runs only when the policy names it.
    return support.bwrap ? "bwrap" : { refusal: NO_SOCKET_HIDING };
  }
  if (!policy.allowNetwork && policy.networkIsolation === "netns") {
    return support.netns ? "unshare" : { refusal: "networkIsolation is \"netns\" but unshare -rin does not work on this host" };
  }
  if (policy.processIsolation !== "group" && support.pidns) return "unshare";
  if (policy.processIsolation === "pidns") {
    return { refusal: "processIsolation is \"pidns\" but unshare -rp does not work on this host" };
  }
  return "plain";
}

function prlimitArgs(limits: ResourceLimits): string[] {
  const args: string[] = [];
  if (limits.cpuSeconds !== undefined) args.push(`--cpu=${limits.cpuSeconds}`);
  if (limits.addressSpaceBytes !== undefined) args.push(`--as=${limits.addressSpaceBytes}`);
  if (limits.processes !== undefined) args.push(`--nproc=${limits.processes}`);
  if (limits.fileSizeBytes !== undefined) args.push(`--fsize=${limits.fileSizeBytes}`);
  return args;
}

function bwrapArgs(input: WrapInput, policy: SandboxPolicy): string[] {
  const args = [...BWRAP_BASE_ARGS];
  if (!policy.allowNetwork) args.push("--unshare-net");
  for (const path of policy.filesystem?.readOnly ?? DEFAULT_BWRAP_READ_ONLY) args.push("--ro-bind-try", path, path);
  for (const path of policy.filesystem?.readWrite ?? []) args.push("--bind-try", path, path);
  // The approved executable and the working directory are always visible.
  args.push("--ro-bind", input.executable, input.executable, "--bind", input.root, input.root, "--chdir", input.cwd);
  return [...args, "--", input.executable, ...input.args];
}

/** Builds the invocation for `input` under `policy` with what `support` says works. */
export function wrapCommand(input: WrapInput, policy: SandboxPolicy, support: IsolationSupport): WrapResult {
  const mechanism = chooseMechanism(policy, support);
  if (typeof mechanism === "object") return mechanism;

  let path = input.executable;
  let args = [...input.args];
  let newProcessGroup = true;
  let isolation: IsolationLevel = "group";
  if (mechanism === "unshare") {
    const isolateNetwork = !policy.allowNetwork && policy.networkIsolation !== "none";
    const pidns = policy.processIsolation !== "group" && support.pidns;
    // With the network off, the IPC namespace goes too: System V IPC and POSIX queues are host IPC.
    const flags = `-r${isolateNetwork ? "in" : ""}${pidns ? "p" : ""}${pidns && support.pidnsProc ? "m" : ""}`;
    const extra = pidns ? ["--fork", "--kill-child", ...(support.pidnsProc ? ["--mount-proc"] : [])] : [];
    args = [flags, ...extra, "--", path, ...args];
    path = support.tools.unshare as string;
    // Killing unshare kills the namespace's init and so every process in it.
    newProcessGroup = !pidns;
    isolation = isolateNetwork ? (pidns ? "netns+pidns" : "netns") : "pidns";
  } else if (mechanism === "bwrap") {
    args = bwrapArgs(input, policy);
    path = support.tools.bwrap as string;
    newProcessGroup = false;
    isolation = "bwrap";
  }

  const limits = policy.limits === undefined ? [] : prlimitArgs(policy.limits);
  if (limits.length > 0) {
    if (!support.prlimit) return { refusal: "the policy sets resource limits but prlimit does not work on this host" };
    args = [...limits, "--", path, ...args];
    path = support.tools.prlimit as string;
  }
  return { spec: { path, args, env: input.env, cwd: input.cwd, newProcessGroup }, isolation };
}
