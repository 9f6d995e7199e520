/** {@linkcode HostPlatform} for Node.js, over `node:fs/promises`. @module */
import * as fsp from "node:fs/promises";
import type { Stats } from "node:fs";
import { HostNotFoundError } from "./types.ts";
import type { HostFileInfo, HostFileKind, HostPlatform } from "./types.ts";

function kindOf(s: { isFile(): boolean; isDirectory(): boolean; isSymbolicLink(): boolean }): HostFileKind {
  if (s.isSymbolicLink()) return "symlink";
  if (s.isFile()) return "file";
  if (s.isDirectory()) return "dir";
  return "other";
}

function info(s: Stats): HostFileInfo {
  return { kind: kindOf(s), size: s.size, mtimeMs: s.mtimeMs };
}

async function mapNotFound<T>(path: string, op: () => Promise<T>): Promise<T> {
  try {
    return await op();
  } catch (err) {
    if ((err as { code?: string }).code === "ENOENT") throw new HostNotFoundError(path, { cause: err });
    throw err;
  }
}

/** The Node implementation. */
export const nodePlatform: HostPlatform = {
  name: "node",
  cwd: () => process.cwd(),
  fs: {
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
    symlink: (target, path) => fsp.symlink(target, path),
    rename: (from, to) => fsp.rename(from, to),
    openAppend: async (path) => {
      const handle = await fsp.open(path, "a");
      return {
        // appendFile loops until every byte is written.
        write: (data) => handle.appendFile(data),
        close: () => handle.close(),
      };
    },
  },
};
