/**
 * The path questions exec asks, answered by the host file system: where a
 * path really leads, and what is there. Any failure (missing, a symlink
 * loop, no permission) is "nothing usable there", never an exception: exec
 * refuses rather than guesses.
 *
 * @module
 */
import type { HostFileInfo, HostFileSystem } from "../platform/types.ts";

/** The canonical absolute path (every symlink and `..` resolved), or `undefined`. */
export async function realPathOf(fs: HostFileSystem, path: string): Promise<string | undefined> {
  try {
    return await fs.realPath(path);
  } catch {
    return undefined;
  }
}

/** Facts about a canonical path (no symlink left on it, so `lstat` is `stat`), or `undefined`. */
export async function infoOf(fs: HostFileSystem, realPath: string): Promise<HostFileInfo | undefined> {
  try {
    return await fs.lstat(realPath);
  } catch {
    return undefined;
  }
}

/** True when `info` is a file with some execute bit set. */
export function isExecutableFile(info: HostFileInfo | undefined): boolean {
  return info?.kind === "file" && (info.mode & 0o111) !== 0;
}
