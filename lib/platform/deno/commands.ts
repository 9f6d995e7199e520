/** {@linkcode CommandRunner} for Deno, over `Deno.Command`. @module */
import type { ByteSink, ByteSource, CommandRunner, ExitStatus, SpawnedCommand, SpawnSpec } from "../../exec/command_runner.ts";
import { deno } from "./deno_global.ts";

/** Where `setsid` is looked for: fixed system directories, never the guest's or the policy's PATH. */
const SETSID_CANDIDATES = ["/usr/bin/setsid", "/bin/setsid"];
let setsidPath: Promise<string | undefined> | undefined;

function findSetsid(): Promise<string | undefined> {
  setsidPath ??= (async () => {
    for (const candidate of SETSID_CANDIDATES) {
      const info = await deno.stat(candidate).catch(() => undefined);
      if (info?.isFile && ((info.mode ?? 0) & 0o111) !== 0) return candidate;
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
export const commands: CommandRunner = {
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
  hostEnv: () => deno.env.toObject(),
};
