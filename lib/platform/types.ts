/**
 * The host file-system and worker interfaces, and {@linkcode HostPlatform}:
 * everything runtime-specific, bundled. Each concern's interface is owned by
 * its consumer — the file system and workers here, {@linkcode CommandRunner}
 * by `lib/exec/`, {@linkcode Terminal} by `lib/cli/` — and implemented once
 * per runtime under `lib/platform/deno/` and `lib/platform/node/` (same file
 * names in both); workers have one implementation, `workers.ts`
 * (`node:worker_threads` on both runtimes). The core receives what
 * it needs and never touches `node:*` modules or the `Deno` global itself.
 *
 * @module
 */
import type { Terminal } from "../cli/terminal.ts";
import type { CommandRunner } from "../exec/command_runner.ts";

/** What kind of object a path names. Symlinks are reported, never followed. */
export type HostFileKind = "file" | "dir" | "symlink" | "other";

/** Facts about one host path, as `lstat` reports them. */
export interface HostFileInfo {
  kind: HostFileKind;
  size: number;
  mtimeMs: number;
  /**
   * Status-change time. Every write, rename into place or metadata change
   * moves it, and no unprivileged process can set it back, so together with
   * `dev`/`ino`/`size`/`mtimeMs` it tells whether an entry changed.
   */
  ctimeMs: number;
  /** Device and inode: the identity of the object (a replaced entry has another). */
  dev: number;
  ino: number;
  /** Permission bits (`mode & 0o7777`). */
  mode: number;
}

/** One entry of a host directory. */
export interface HostDirEntry {
  name: string;
  kind: HostFileKind;
}

/** Host file-system operations the sandbox needs (plugin loading, mounts, caches, exec path checks). */
export interface HostFileSystem {
  /** The host's current directory, against which relative paths resolve. */
  cwd(): string;
  readFile(path: string): Promise<Uint8Array>;
  /** Writes atomically enough for caches: the whole file, created or replaced. */
  writeFile(path: string, data: Uint8Array): Promise<void>;
  readDir(path: string): Promise<HostDirEntry[]>;
  /** Does not follow a final symlink. */
  lstat(path: string): Promise<HostFileInfo>;
  realPath(path: string): Promise<string>;
  readLink(path: string): Promise<string>;
  mkdir(path: string, options?: { recursive?: boolean }): Promise<void>;
  remove(path: string, options?: { recursive?: boolean }): Promise<void>;
  /** Removes an empty directory (rmdir): fails on anything else. */
  removeEmptyDir(path: string): Promise<void>;
  symlink(target: string, path: string): Promise<void>;
  /** Atomically replaces `to` with `from` (same file system). */
  rename(from: string, to: string): Promise<void>;
  /** Sets the permission bits of `path`. */
  chmod(path: string, mode: number): Promise<void>;
  /**
   * Creates `path` holding `data`; fails when anything exists there, a symlink
   * included (O_CREAT|O_EXCL never follows one). For staging files.
   */
  createFile(path: string, data: Uint8Array): Promise<void>;
  /**
   * Writes `data` to `path`, created or truncated, without following a
   * symlink as the last component (O_NOFOLLOW: a link there is an error, its
   * target untouched). For output files a guest could have planted a link at.
   */
  writeFileNoFollow(path: string, data: Uint8Array): Promise<void>;
  /**
   * Opens `path` for appending, creating it when missing (audit logs). Never
   * follows a symlink as the last component (O_NOFOLLOW).
   */
  openAppend(path: string): Promise<HostAppendHandle>;
}

/** A file opened by {@linkcode HostFileSystem.openAppend}. */
export interface HostAppendHandle {
  /** Appends all of `data` at the end of the file. */
  write(data: Uint8Array): Promise<void>;
  /** Appends all of `data` before returning (the audit log makes a guest wait on it rather than drop records). */
  writeSync(data: Uint8Array): void;
  close(): Promise<void>;
}

/**
 * Everything runtime-specific, picked once (`hostPlatform()` in
 * `host_platform.ts`). The facade (`lib/runtime.ts`, the CLI) fetches it and
 * hands each part of the core the piece it needs.
 */
export interface HostPlatform {
  readonly name: "node" | "deno";
  readonly fs: HostFileSystem;
  /** Runs host commands (`sandbox_exec`). */
  readonly commands: CommandRunner;
  /** Starts worker threads (one implementation: `node:worker_threads` on both runtimes). */
  readonly workers: WorkerAdapter;
  /** The process's arguments and output streams, for the CLI. */
  readonly terminal: Terminal;
}

/** Thrown by adapters when a path does not exist, so callers need not know each runtime's error shape. */
export class HostNotFoundError extends Error {
  constructor(path: string, options?: ErrorOptions) {
    super(`no such file or directory: ${path}`, options);
    this.name = "HostNotFoundError";
  }
}

/** The host side of a started worker. It never keeps the host process alive. */
export interface HostWorker {
  postMessage(message: unknown): void;
  /** Stops the worker, even one spinning in guest code. Safe to call twice. */
  terminate(): void;
}

/** Called when a worker fails (uncaught error, failed to load, exited). */
export type WorkerFailureHandler = (reason: string) => void;

/** Starts workers. */
export interface WorkerAdapter {
  /** Starts the ES module worker at `url` (`.ts` sources or compiled `.js`), unref'd. */
  start(url: URL, onFailure: WorkerFailureHandler): HostWorker;
  /** Inside a worker: receive messages from the host. */
  onParentMessage(handler: (message: unknown) => void): void;
}
