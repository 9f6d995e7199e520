/** {@linkcode CommandRunner} for Node.js, over `node:child_process`. @module */
import { spawn as spawnChild } from "node:child_process";
import type { ChildProcess } from "node:child_process";
import type { Readable, Writable } from "node:stream";
import type { ByteSink, ByteSource, CommandRunner, ExitStatus, SpawnedCommand, SpawnSpec } from "../../exec/command_runner.ts";

function byteSource(stream: Readable): ByteSource {
  const chunks = stream[Symbol.asyncIterator]();
  let done = false;
  return {
    async read() {
      if (done) return null;
      try {
        const next = await chunks.next();
        if (next.done) {
          done = true;
          return null;
        }
        const chunk = next.value as Uint8Array;
        return new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength);
      } catch {
        done = true;
        return null;
      }
    },
    cancel() {
      done = true;
      stream.destroy();
    },
  };
}

function byteSink(stream: Writable): ByteSink {
  // Without a listener an EPIPE would be an uncaught 'error' event.
  let failure: Error | undefined;
  stream.on("error", (err) => {
    failure ??= err;
  });
  return {
    writeAndClose: (data) =>
      new Promise<void>((resolve, reject) => {
        if (failure) return reject(failure);
        stream.end(data, () => (failure ? reject(failure) : resolve()));
        stream.once("error", reject);
      }),
  };
}

function started(child: ChildProcess): Promise<void> {
  return new Promise((resolve, reject) => {
    child.once("spawn", () => resolve());
    child.once("error", reject);
  });
}

function exitStatus(child: ChildProcess): Promise<ExitStatus> {
  return new Promise((resolve) => {
    child.once("exit", (code, signal) => resolve({ code: signal === null ? code : null, signal }));
  });
}

/** The Node implementation. */
export const commands: CommandRunner = {
  async spawn(spec: SpawnSpec): Promise<SpawnedCommand> {
    const child = spawnChild(spec.path, [...spec.args], {
      cwd: spec.cwd,
      env: { ...spec.env },
      argv0: spec.path,
      stdio: ["pipe", "pipe", "pipe"],
      // detached = setsid() in the child: a new session and process group.
      detached: spec.newProcessGroup,
      shell: false,
      windowsHide: true,
    });
    const status = exitStatus(child);
    await started(child);
    const pid = child.pid as number;
    return {
      pid,
      stdin: byteSink(child.stdin as Writable),
      stdout: byteSource(child.stdout as Readable),
      stderr: byteSource(child.stderr as Readable),
      status,
      killTree() {
        if (spec.newProcessGroup) {
          try {
            process.kill(-pid, "SIGKILL");
          } catch {
            // ESRCH: the group is already gone.
          }
        }
        child.kill("SIGKILL");
      },
    };
  },
  hostEnv() {
    const env: Record<string, string> = {};
    for (const [name, value] of Object.entries(process.env)) if (value !== undefined) env[name] = value;
    return env;
  },
};
