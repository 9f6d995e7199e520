/**
 * {@linkcode HostFileSystem} for Deno, over the `Deno` namespace. `Deno.open`
 * has no O_NOFOLLOW, so the two no-follow opens go through Deno's `node:fs`
 * layer, which passes the flag to the kernel.
 *
 * @module
 */
import { constants, writeSync } from "node:fs";
import * as fsp from "node:fs/promises";
import { HostNotFoundError } from "../types.ts";
import type { HostFileInfo, HostFileKind, HostFileSystem } from "../types.ts";
import { deno } from "./deno_global.ts";
import type { DenoFileInfo } from "./deno_global.ts";

function kindOf(s: { isFile: boolean; isDirectory: boolean; isSymlink: boolean }): HostFileKind {
  if (s.isSymlink) return "symlink";
  if (s.isFile) return "file";
  if (s.isDirectory) return "dir";
  return "other";
}

function info(s: DenoFileInfo): HostFileInfo {
  return {
    kind: kindOf(s),
    size: s.size,
    mtimeMs: s.mtime?.getTime() ?? 0,
    ctimeMs: s.ctime?.getTime() ?? 0,
    dev: s.dev,
    ino: s.ino ?? 0,
    mode: (s.mode ?? 0) & 0o7777,
  };
}

/** Write-only, created when missing, and never through a symlink as the last component. */
const NO_FOLLOW_WRITE = constants.O_WRONLY | constants.O_CREAT | constants.O_NOFOLLOW;

async function mapNotFound<T>(path: string, op: () => Promise<T>): Promise<T> {
  try {
    return await op();
  } catch (err) {
    if (err instanceof deno.errors.NotFound) throw new HostNotFoundError(path, { cause: err });
    throw err;
  }
}

/** The Deno implementation. */
export const fileSystem: HostFileSystem = {
  cwd: () => deno.cwd(),
  readFile: (path) => mapNotFound(path, () => deno.readFile(path)),
  writeFile: (path, data) => deno.writeFile(path, data),
  readDir: (path) =>
    mapNotFound(path, async () => {
      const entries = [];
      for await (const e of deno.readDir(path)) entries.push({ name: e.name, kind: kindOf(e) });
      return entries;
    }),
  lstat: (path) => mapNotFound(path, async () => info(await deno.lstat(path))),
  realPath: (path) => mapNotFound(path, () => deno.realPath(path)),
  readLink: (path) => mapNotFound(path, () => deno.readLink(path)),
  mkdir: (path, options) => deno.mkdir(path, { recursive: options?.recursive ?? false }),
  remove: (path, options) => deno.remove(path, { recursive: options?.recursive ?? false }),
  removeEmptyDir: (path) => fsp.rmdir(path), // Deno.remove would also delete a file put there meanwhile
  symlink: (target, path) => deno.symlink(target, path),
  rename: (from, to) => deno.rename(from, to),
  chmod: (path, mode) => deno.chmod(path, mode),
  createFile: (path, data) => deno.writeFile(path, data, { createNew: true }),
  writeFileNoFollow: async (path, data) => {
    const handle = await fsp.open(path, NO_FOLLOW_WRITE | constants.O_TRUNC, 0o666);
    try {
      await handle.writeFile(data);
    } finally {
      await handle.close();
    }
  },
  openAppend: async (path) => {
    const handle = await fsp.open(path, NO_FOLLOW_WRITE | constants.O_APPEND, 0o666);
    return {
      // appendFile loops until every byte is written.
      write: (data) => handle.appendFile(data),
      // A single write may be partial; loop until every byte is out.
      writeSync: (data) => {
        for (let offset = 0; offset < data.byteLength;) offset += writeSync(handle.fd, data, offset, data.byteLength - offset);
      },
      close: () => handle.close(),
    };
  },
};
