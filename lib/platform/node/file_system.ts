/** {@linkcode HostFileSystem} for Node.js, over `node:fs/promises`. @module */
import * as fsp from "node:fs/promises";
import { constants, writeSync } from "node:fs";
import type { Stats } from "node:fs";
import { HostNotFoundError } from "../types.ts";
import type { HostFileInfo, HostFileKind, HostFileSystem } from "../types.ts";

function kindOf(s: { isFile(): boolean; isDirectory(): boolean; isSymbolicLink(): boolean }): HostFileKind {
  if (s.isSymbolicLink()) return "symlink";
  if (s.isFile()) return "file";
  if (s.isDirectory()) return "dir";
  return "other";
}

function info(s: Stats): HostFileInfo {
  return { kind: kindOf(s), size: s.size, mtimeMs: s.mtimeMs, ctimeMs: s.ctimeMs, dev: s.dev, ino: s.ino, mode: s.mode & 0o7777 };
}

/** Write-only, created when missing, and never through a symlink as the last component. */
const NO_FOLLOW_WRITE = constants.O_WRONLY | constants.O_CREAT | constants.O_NOFOLLOW;

async function mapNotFound<T>(path: string, op: () => Promise<T>): Promise<T> {
  try {
    return await op();
  } catch (err) {
    if ((err as { code?: string }).code === "ENOENT") throw new HostNotFoundError(path, { cause: err });
    throw err;
  }
}

/** The Node implementation. */
export const fileSystem: HostFileSystem = {
  cwd: () => process.cwd(),
  readFile: (path) => mapNotFound(path, async () => new Uint8Array(await fsp.readFile(path))),
  writeFile: (path, data) => fsp.writeFile(path, data),
  readDir: (path) =>
    mapNotFound(path, async () =>
      (await fsp.readdir(path, { withFileTypes: true })).map((e) => ({ name: e.name, kind: kindOf(e) }))
    ),
  lstat: (path) => mapNotFound(path, async () => info(await fsp.lstat(path))),
  realPath: (path) => mapNotFound(path, () => fsp.realpath(path)),
  readLink: (path) => mapNotFound(path, () => fsp.readlink(path)),
  mkdir: async (path, options) => {
    await fsp.mkdir(path, { recursive: options?.recursive ?? false });
  },
  remove: (path, options) => fsp.rm(path, { recursive: options?.recursive ?? false, force: false }),
  removeEmptyDir: (path) => fsp.rmdir(path),
  symlink: (target, path) => fsp.symlink(target, path),
  rename: (from, to) => fsp.rename(from, to),
  chmod: (path, mode) => fsp.chmod(path, mode),
  createFile: (path, data) => fsp.writeFile(path, data, { flag: "wx" }),
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
