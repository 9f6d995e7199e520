/**
 * One process at a time per PGlite soch directory. PGlite takes no lock of
 * its own: two processes that open the same directory each run a Postgres
 * over it, and writes whose Promise resolved in one of them are lost when the
 * other's pages overwrite them (seen: 58 of 300 lost). So the store holds a
 * lock file in the directory while it is open.
 *
 * The lock names its process (pid and host name). A lock whose process no
 * longer exists on this host (a crash, a SIGKILL) is stale and is broken by
 * the next open; a lock from another host, or from a live process (this one
 * included), is refused with `InvalidState`.
 *
 * @module
 */
import { hostname } from "node:os";
import process from "node:process";
import { SandboxError } from "../errors.ts";
import { hostPlatform } from "../platform/host_platform.ts";
import type { HostFileSystem } from "../platform/types.ts";

/** The lock file's name inside the store's directory. */
export const SOCH_LOCK_FILE = "wasm-sandbox-soch.lock";

interface LockOwner {
  pid: number;
  host: string;
}

/** A held lock; `release()` removes it (once). */
export interface SochDirLock {
  release(): Promise<void>;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** What a lock file says, or undefined when it is gone or unreadable (a writer that died mid-write). */
async function readOwner(fs: HostFileSystem, path: string): Promise<LockOwner | undefined> {
  try {
    const owner = JSON.parse(decoder.decode(await fs.readFile(path))) as Partial<LockOwner>;
    return Number.isSafeInteger(owner.pid) && typeof owner.host === "string" ? owner as LockOwner : undefined;
  } catch {
    return undefined;
  }
}

/** Whether `owner` may still be using the store: alive on this host, or on another host (which we cannot ask). */
function mayBeAlive(owner: LockOwner): boolean {
  if (owner.host !== hostname()) return true;
  try {
    process.kill(owner.pid, 0); // signal 0: only asks whether the process exists
    return true;
  } catch (err) {
    return (err as { code?: string }).code !== "ESRCH"; // EPERM: it exists, owned by someone else
  }
}

/**
 * Takes the lock of the store in `dir` (created when missing), or fails with
 * `InvalidState` naming the process that holds it.
 *
 * @example
 * ```ts
 * const lock = await lockSochDir("./soch-data");
 * try {
 *   // open and use the store
 * } finally {
 *   await lock.release();
 * }
 * ```
 */
export async function lockSochDir(dir: string): Promise<SochDirLock> {
  const { fs } = await hostPlatform();
  await fs.mkdir(dir, { recursive: true }).catch((err) => {
    throw new SandboxError("IoError", `cannot create the soch store directory ${dir}: ${(err as Error)?.message ?? err}`, { cause: err });
  });
  const path = `${dir}/${SOCH_LOCK_FILE}`;
  const me: LockOwner = { pid: process.pid, host: hostname() };
  // A few rounds: each lost race (another process taking or breaking the lock meanwhile) starts over.
  for (let attempt = 0; attempt < 5; attempt++) {
    try {
      await fs.createFile(path, encoder.encode(JSON.stringify(me)));
      let released = false;
      return {
        release: async () => {
          if (released) return;
          released = true;
          await fs.remove(path);
        },
      };
    } catch (err) {
      if ((err as { code?: string }).code !== "EEXIST" && !(err instanceof Error && err.name === "AlreadyExists")) {
        throw new SandboxError("IoError", `cannot create the soch store's lock ${path}: ${(err as Error)?.message ?? err}`, { cause: err });
      }
    }
    const owner = await readOwner(fs, path);
    if (owner !== undefined && mayBeAlive(owner)) {
      throw new SandboxError(
        "InvalidState",
        `the soch store ${dir} is open in process ${owner.pid} on ${owner.host}; one process at a time may open it ` +
          `(if that process is gone, remove ${path})`,
      );
    }
    if (owner === undefined && attempt === 0) {
      // Possibly a lock being written this instant: look again before calling it stale.
      await new Promise((resolve) => setTimeout(resolve, 50));
      continue;
    }
    // Stale: move it aside (only one breaker's rename can succeed) and check that what moved is the stale lock.
    const aside = `${path}.stale-${me.pid}-${attempt}`;
    try {
      await fs.rename(path, aside);
    } catch {
      continue; // someone else broke it first
    }
    const moved = await readOwner(fs, aside);
    if (moved !== undefined && mayBeAlive(moved)) {
      // A live process took the lock between our look and our rename: give it back.
      await fs.rename(aside, path).catch(() => {});
      continue;
    }
    await fs.remove(aside).catch(() => {});
  }
  throw new SandboxError("InvalidState", `could not take the lock of the soch store ${dir} (${path}): other processes keep taking it`);
}
