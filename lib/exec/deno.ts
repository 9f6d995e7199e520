/** {@linkcode CommandRunner} for Deno, over `Deno.Command`. @module */
import type { ByteSink, ByteSource, CommandRunner, ExitStatus, SpawnedCommand, SpawnSpec } from "./command_runner.ts";

/** The slice of the `Deno` namespace this adapter uses (typed here so tsc needs no Deno types). */
interface DenoChildProcess {
  readonly pid: number;
  readonly stdin: WritableStream<Uint8Array>;
  readonly stdout: ReadableStream<Uint8Array>;
  readonly stderr: ReadableStream<Uint8Array>;
  readonly status: Promise<{ code: number; signal: string | null }>;
  kill(signal?: string): void;
}
interface DenoCommandOptions {
  args: string[];
  cwd: string;
  env: Record<string, string>;
  clearEnv: boolean;
  stdin: "piped";
  stdout: "piped";
  stderr: "piped";
}
interface DenoExec {
  Command: new (path: string, options: DenoCommandOptions) => { spawn(): DenoChildProcess };
  kill(pid: number, signal: string): void;
  realPath(path: string): Promise<string>;
  stat(path: string): Promise<{ isFile: boolean; isDirectory: boolean; mode: number | null }>;
  env: { toObject(): Record<string, string> };
}

const deno = (globalThis as unknown as { Deno: DenoExec }).Deno;

/** Where `setsid` is looked for: fixed system directories, never the guest's or the policy's PATH. */
const SETSID_CANDIDATES = ["/usr/bin/setsid", "/bin/setsid"];
let setsidPath: Promise<string | undefined> | undefined;

function findSetsid(): Promise<string | undefined> {
  setsidPath ??= (async () => {
    for (const candidate of SETSID_CANDIDATES) {
      const info = await denoRunner.pathInfo(candidate);
      if (info?.kind === "file" && info.executable) return candidate;
    }
    return undefined;
  })();
  return setsidPath;
}

function byteSource(stream: ReadableStream<Uint8Array>): ByteSource {
  const reader = stream.getReader();
  let done = false;
  return {
    async read() {
      if (done) return null;
      try {
        const next = await reader.read();
        if (next.done) {
          done = true;
          return null;
        }
        return next.value;
      } catch {
        done = true;
        return null;
      }
    },
    cancel() {
      done = true;
      reader.cancel().catch(() => {});
    },
  };
}

function byteSink(stream: WritableStream<Uint8Array>): ByteSink {
  return {
    async writeAndClose(data) {
      const writer = stream.getWriter();
      try {
        if (data.byteLength > 0) await writer.write(data);
        await writer.close();
      } catch (err) {
        writer.abort().catch(() => {});
        throw err;
      }
    },
  };
}

/** The Deno implementation. */
export const denoRunner: CommandRunner = {
  name: "deno",
  async spawn(spec: SpawnSpec): Promise<SpawnedCommand> {
    let path = spec.path;
    let args = [...spec.args];
    if (spec.newProcessGroup) {
      // Deno.Command has no process-group option. setsid(1) execs in place
      // (our child is not a group leader, so it does not fork): the pid stays ours.
      const setsid = await findSetsid();
      if (setsid === undefined) throw new Error("setsid(1) is not installed; cannot start a process group");
      args = [path, ...args];
      path = setsid;
    }
    const child = new deno.Command(path, {
      args,
      cwd: spec.cwd,
      env: { ...spec.env },
      clearEnv: true,
      stdin: "piped",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    const status: Promise<ExitStatus> = child.status.then(
      (s) => (s.signal === null ? { code: s.code, signal: null } : { code: null, signal: s.signal }),
      () => ({ code: null, signal: null }),
    );
    return {
      pid: child.pid,
      stdin: byteSink(child.stdin),
      stdout: byteSource(child.stdout),
      stderr: byteSource(child.stderr),
      status,
      killTree() {
        if (spec.newProcessGroup) {
          try {
            deno.kill(-child.pid, "SIGKILL");
          } catch {
            // ESRCH: the group is already gone.
          }
        }
        try {
          child.kill("SIGKILL");
        } catch {
          // Already exited.
        }
      },
    };
  },
  async realPath(path) {
    try {
      return await deno.realPath(path);
    } catch {
      return undefined;
    }
  },
  async pathInfo(path) {
    try {
      const s = await deno.stat(path);
      const kind = s.isFile ? "file" : s.isDirectory ? "dir" : "other";
      return { kind, executable: s.mode !== null && (s.mode & 0o111) !== 0 };
    } catch {
      return undefined;
    }
  },
  hostEnv: () => deno.env.toObject(),
};
