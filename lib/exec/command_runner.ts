/**
 * The one interface behind which every Node/Deno difference in running host
 * commands lives, implemented in `lib/platform/{deno,node}/commands.ts`. The
 * exec core (policy, resolution, environment, caps) receives a
 * {@linkcode CommandRunner} — and the host file system for path questions —
 * and never imports `node:child_process` or touches `Deno` itself.
 *
 * A runner is deliberately dumb: it starts exactly the executable path and
 * argument vector it is given (never through a shell), with exactly the
 * environment it is given (nothing inherited), and hands back raw byte
 * streams. All decisions are made by the caller.
 *
 * @module
 */
import type { HostFileSystem } from "../platform/types.ts";

/** What to start. Every field is final: the runner adds nothing. */
export interface SpawnSpec {
  /** Absolute path of the executable. Never looked up on PATH. */
  path: string;
  /** Arguments after argv[0], passed verbatim. */
  args: readonly string[];
  /** The complete environment; nothing is inherited from the host. */
  env: Readonly<Record<string, string>>;
  /** Absolute working directory. */
  cwd: string;
  /**
   * Start the command as the leader of a new process group (a new session),
   * so that {@linkcode SpawnedCommand.killTree} reaches its descendants too.
   */
  newProcessGroup: boolean;
}

/** How a process ended. Exactly one of `code` and `signal` is non-null. */
export interface ExitStatus {
  code: number | null;
  /** Signal name, e.g. `"SIGKILL"`. */
  signal: string | null;
}

/** A pipe from the child, read chunk by chunk. */
export interface ByteSource {
  /** The next chunk, or `null` at end of stream (or after {@linkcode cancel}). Never rejects. */
  read(): Promise<Uint8Array | null>;
  /** Closes our end of the pipe: the writer then gets EPIPE / SIGPIPE. */
  cancel(): void;
}

/** A pipe to the child. */
export interface ByteSink {
  /** Writes all of `data`, then closes the pipe. Rejects on EPIPE and similar. */
  writeAndClose(data: Uint8Array): Promise<void>;
}

/** A started child process. */
export interface SpawnedCommand {
  readonly pid: number;
  readonly stdin: ByteSink;
  readonly stdout: ByteSource;
  readonly stderr: ByteSource;
  /** Settles once the direct child has exited and been reaped. Never rejects. */
  readonly status: Promise<ExitStatus>;
  /**
   * SIGKILL to the child, and to its whole process group when it was started
   * with `newProcessGroup`. Safe to call at any time, any number of times.
   */
  killTree(): void;
}

/** Starting host processes: what command execution needs besides the file system. */
export interface CommandRunner {
  /** Starts a command. Rejects (with the runtime's error) when it cannot start. */
  spawn(spec: SpawnSpec): Promise<SpawnedCommand>;
  /** A copy of the host process's environment. */
  hostEnv(): Record<string, string>;
}

/**
 * What command execution needs from the host: a runner to start processes
 * and the file system to answer path questions (real paths, executables,
 * directories). A `HostPlatform` is one.
 */
export interface ExecHost {
  readonly commands: CommandRunner;
  readonly fs: HostFileSystem;
}
