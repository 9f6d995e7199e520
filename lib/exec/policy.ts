/**
 * The exec policy: which host commands a sandbox may run, and how.
 * Secure by default: {@linkcode defaultSandboxPolicy} runs nothing.
 *
 * @module
 */
import { SandboxError } from "../errors.ts";

/**
 * How the command is cut off from the host when `allowNetwork` is false:
 * - `"auto"` (default): bubblewrap, the only level that also hides
 *   path-named host UNIX sockets; without it exec is denied;
 * - `"bwrap"`: bubblewrap, also when the network is on (for its file-system view);
 * - `"netns"`: explicitly accepts network and IPC namespaces only — no
 *   TCP/UDP or abstract sockets, but path-named UNIX sockets stay reachable;
 * - `"none"`: explicitly opts out; the command shares the host network.
 */
export type NetworkIsolation = "auto" | "netns" | "bwrap" | "none";

/** How the command's process tree is contained (and killed as a whole). */
export type ProcessIsolation = "auto" | "pidns" | "group";

/** Resource limits applied with prlimit(1). Absent fields are left as the host has them. */
export interface ResourceLimits {
  /** RLIMIT_CPU: CPU seconds before SIGXCPU / SIGKILL. */
  cpuSeconds?: number;
  /** RLIMIT_AS: bytes of address space. */
  addressSpaceBytes?: number;
  /** RLIMIT_NPROC: processes of the user (all of them, host-wide; not enforced for root). */
  processes?: number;
  /** RLIMIT_FSIZE: the largest file the command may write. */
  fileSizeBytes?: number;
}

/** Host paths visible inside a bubblewrap file-system view. */
export interface FilesystemView {
  /** Bound read-only. Paths that do not exist are skipped. */
  readOnly: string[];
  /** Bound read-write. Paths that do not exist are skipped. */
  readWrite: string[];
}

/** What a sandbox may execute. Every field is required so that nothing is implied. */
export interface SandboxPolicy {
  /**
   * Commands that may run: names (looked up on {@linkcode searchPath}) or
   * absolute paths, both compared by real path. Empty allows nothing.
   */
  allowedCommands: string[];
  /** Commands that never run, matched like `allowedCommands` and also by name. Always wins. */
  blockedCommands: string[];
  /** Wall-clock limit per command; a request may only ask for less. */
  maxExecutionTimeMs: number;
  /** Cap on each of stdout and stderr, applied while the output streams. */
  maxOutputBytes: number;
  /** Whether the command may use the network. False is enforced, not advisory. */
  allowNetwork: boolean;
  /** Absolute host directory commands run in; request `cwd`s must stay inside it. Empty: exec is denied. */
  workingDirectory: string;
  /** Environment variable names that may reach the command (from the host or the request). */
  environmentWhitelist: string[];
  /** Executions per sandbox before further requests are denied (see `ExecState.reset`). */
  maxExecutions: number;
  /**
   * Mechanism that enforces `allowNetwork: false` (see {@linkcode NetworkIsolation}).
   * "auto" takes bubblewrap or denies; a weaker level runs only when named here.
   */
  networkIsolation: NetworkIsolation;
  /**
   * Process containment. "pidns" runs the command as init of a fresh PID
   * namespace, so a kill reaches every descendant and host processes are out
   * of reach; "group" uses a process group only (cheaper, escapable with setsid);
   * "auto" picks pidns when it works.
   */
  processIsolation: ProcessIsolation;
  /** Directories searched for command names, in order. Also the command's PATH. */
  searchPath: string[];
  /** prlimit(1) limits; when set and prlimit is unavailable, exec is denied. */
  limits?: ResourceLimits;
  /** With `networkIsolation: "bwrap"`: the host paths the command can see. */
  filesystem?: FilesystemView;
}

/** The search path used unless the policy says otherwise. */
export const DEFAULT_SEARCH_PATH: readonly string[] = ["/usr/local/bin", "/usr/bin", "/bin"];

/** Upper bounds on policy values, so that a typo cannot disable a limit. */
export const POLICY_BOUNDS = {
  maxExecutionTimeMs: 3_600_000,
  maxOutputBytes: 64 * 1024 * 1024,
  maxExecutions: 1_000_000,
} as const;

/**
 * A policy that denies every command. Copy it and fill in what you allow.
 *
 * @example
 * ```ts
 * const policy = { ...defaultSandboxPolicy(), allowedCommands: ["ls"], workingDirectory: "/srv/job" };
 * ```
 */
export function defaultSandboxPolicy(): SandboxPolicy {
  return {
    allowedCommands: [],
    blockedCommands: [],
    maxExecutionTimeMs: 30_000,
    maxOutputBytes: 1024 * 1024,
    allowNetwork: false,
    workingDirectory: "",
    environmentWhitelist: [],
    maxExecutions: 100,
    networkIsolation: "auto",
    processIsolation: "auto",
    searchPath: [...DEFAULT_SEARCH_PATH],
  };
}

function invalid(message: string): never {
  throw new SandboxError("InvalidArgument", `invalid exec policy: ${message}`);
}

function checkInteger(name: string, value: unknown, min: number, max: number): void {
  if (typeof value !== "number" || !Number.isSafeInteger(value) || value < min || value > max) {
    invalid(`${name} must be an integer in [${min}, ${max}], got ${String(value)}`);
  }
}

function checkStrings(name: string, value: unknown): void {
  if (!Array.isArray(value) || value.some((v) => typeof v !== "string" || v === "" || v.includes("\0"))) {
    invalid(`${name} must be an array of non-empty strings without NUL`);
  }
}

function checkAbsolutePaths(name: string, value: string[]): void {
  for (const p of value) if (!p.startsWith("/")) invalid(`${name} entries must be absolute paths, got "${p}"`);
}

/**
 * Checks a host-supplied policy. Host mistakes are errors, not silent defaults.
 *
 * @throws {SandboxError} `InvalidArgument` naming the bad field.
 */
export function validateSandboxPolicy(policy: SandboxPolicy): void {
  if (typeof policy !== "object" || policy === null) invalid("not an object");
  checkStrings("allowedCommands", policy.allowedCommands);
  checkStrings("blockedCommands", policy.blockedCommands);
  for (const entry of [...policy.allowedCommands, ...policy.blockedCommands]) {
    if (entry.includes("/") && !entry.startsWith("/")) {
      invalid(`command entries are names or absolute paths, got "${entry}"`);
    }
  }
  checkInteger("maxExecutionTimeMs", policy.maxExecutionTimeMs, 1, POLICY_BOUNDS.maxExecutionTimeMs);
  checkInteger("maxOutputBytes", policy.maxOutputBytes, 0, POLICY_BOUNDS.maxOutputBytes);
  checkInteger("maxExecutions", policy.maxExecutions, 0, POLICY_BOUNDS.maxExecutions);
  if (typeof policy.allowNetwork !== "boolean") invalid("allowNetwork must be a boolean");
  if (typeof policy.workingDirectory !== "string" || policy.workingDirectory.includes("\0")) {
    invalid("workingDirectory must be a string");
  }
  if (policy.workingDirectory !== "" && !policy.workingDirectory.startsWith("/")) {
    invalid("workingDirectory must be an absolute path");
  }
  checkStrings("environmentWhitelist", policy.environmentWhitelist);
  if (!["auto", "netns", "bwrap", "none"].includes(policy.networkIsolation)) {
    invalid(`networkIsolation must be "auto", "netns", "bwrap" or "none"`);
  }
  if (!["auto", "pidns", "group"].includes(policy.processIsolation)) {
    invalid(`processIsolation must be "auto", "pidns" or "group"`);
  }
  checkStrings("searchPath", policy.searchPath);
  checkAbsolutePaths("searchPath", policy.searchPath);
  if (policy.searchPath.some((p) => p.includes(":"))) invalid("searchPath entries cannot contain ':'");
  if (policy.limits !== undefined) {
    const limits = policy.limits;
    for (const key of ["cpuSeconds", "addressSpaceBytes", "processes", "fileSizeBytes"] as const) {
      if (limits[key] !== undefined) checkInteger(`limits.${key}`, limits[key], 1, Number.MAX_SAFE_INTEGER);
    }
  }
  if (policy.filesystem !== undefined) {
    checkStrings("filesystem.readOnly", policy.filesystem.readOnly);
    checkStrings("filesystem.readWrite", policy.filesystem.readWrite);
    checkAbsolutePaths("filesystem.readOnly", policy.filesystem.readOnly);
    checkAbsolutePaths("filesystem.readWrite", policy.filesystem.readWrite);
  }
}
