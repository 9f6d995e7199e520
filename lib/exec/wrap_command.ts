/**
 * Turns an approved command into the exact invocation that runs it: wrapped
 * in prlimit for resource limits, then in unshare or bubblewrap for network
 * and process isolation, as the policy asks and the host supports. When the
 * policy asks for isolation the host cannot give, the result is a refusal:
 * exec fails closed.
 *
 * @module
 */
import type { SpawnSpec } from "./command_runner.ts";
import type { IsolationSupport } from "./isolation.ts";
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

/** The invocation, or why the policy cannot be honoured here. */
export type WrapResult = { spec: SpawnSpec; mechanism: string } | { refusal: string };

type Mechanism = "bwrap" | "unshare" | "plain";

function chooseMechanism(policy: SandboxPolicy, support: IsolationSupport): Mechanism | { refusal: string } {
  if (policy.networkIsolation === "bwrap") {
    return support.bwrap ? "bwrap" : { refusal: "networkIsolation is \"bwrap\" but bubblewrap does not work on this host" };
  }
  if (!policy.allowNetwork && policy.networkIsolation !== "none") {
    if (support.netns) return "unshare";
    if (policy.networkIsolation === "auto" && support.bwrap) return "bwrap";
    return {
      refusal: policy.networkIsolation === "netns"
        ? "networkIsolation is \"netns\" but unshare -rn does not work on this host"
        : "the network cannot be isolated on this host (neither unshare -rn nor bubblewrap works); " +
          "set networkIsolation: \"none\" to run commands with host network access",
    };
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
  const args = [
    "--unshare-user", "--unshare-pid", "--unshare-ipc", "--unshare-uts", "--unshare-cgroup-try",
    "--die-with-parent", "--new-session",
    "--proc", "/proc", "--dev", "/dev", "--tmpfs", "/tmp",
  ];
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
  if (mechanism === "unshare") {
    const isolateNetwork = !policy.allowNetwork && policy.networkIsolation !== "none";
    const pidns = policy.processIsolation !== "group" && support.pidns;
    const flags = `-r${isolateNetwork ? "n" : ""}${pidns ? "p" : ""}${pidns && support.pidnsProc ? "m" : ""}`;
    const extra = pidns ? ["--fork", "--kill-child", ...(support.pidnsProc ? ["--mount-proc"] : [])] : [];
    args = [flags, ...extra, "--", path, ...args];
    path = support.tools.unshare as string;
    // Killing unshare kills the namespace's init and so every process in it.
    newProcessGroup = !pidns;
  } else if (mechanism === "bwrap") {
    args = bwrapArgs(input, policy);
    path = support.tools.bwrap as string;
    newProcessGroup = false;
  }

  const limits = policy.limits === undefined ? [] : prlimitArgs(policy.limits);
  if (limits.length > 0) {
    if (!support.prlimit) return { refusal: "the policy sets resource limits but prlimit does not work on this host" };
    args = [...limits, "--", path, ...args];
    path = support.tools.prlimit as string;
  }
  return { spec: { path, args, env: input.env, cwd: input.cwd, newProcessGroup }, mechanism };
}
