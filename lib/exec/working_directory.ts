/**
 * The command's working directory: the request's `cwd` taken relative to
 * the policy's working directory, accepted only when its real path (every
 * symlink and `..` resolved) is that directory or inside it.
 *
 * @module
 */
import type { HostFileSystem } from "../platform/types.ts";
import { infoOf, realPathOf } from "./_real_paths.ts";
import { joinPath } from "./resolve_command.ts";

/** The resolved directory, or why the request is refused. */
export type WorkingDirectoryResult = { cwd: string; root: string } | { refusal: string };

/** True when `path` is `root` or below it (both canonical). */
export function isInside(root: string, path: string): boolean {
  return path === root || path.startsWith(root.endsWith("/") ? root : `${root}/`);
}

/**
 * Resolves `requested` (relative, optional) against the policy's `workingDirectory`.
 * Note: the check is made on the real path at request time; a command that
 * may write inside the directory can swap a symlink afterwards, which is why
 * the bubblewrap level binds the directory itself instead.
 */
export async function resolveWorkingDirectory(
  fs: HostFileSystem,
  workingDirectory: string,
  requested: string | undefined,
): Promise<WorkingDirectoryResult> {
  if (workingDirectory === "") return { refusal: "the policy has no working directory" };
  const root = await realPathOf(fs, workingDirectory);
  if (root === undefined || (await infoOf(fs, root))?.kind !== "dir") {
    return { refusal: `the policy's working directory ${workingDirectory} does not exist` };
  }
  if (requested === undefined || requested === "" || requested === ".") return { cwd: root, root };
  if (requested.startsWith("/")) return { refusal: `cwd "${requested}" must be relative to the working directory` };
  const real = await realPathOf(fs, joinPath(root, requested));
  if (real === undefined) return { refusal: `cwd "${requested}" does not exist` };
  if (!isInside(root, real)) return { refusal: `cwd "${requested}" is outside the working directory` };
  if ((await infoOf(fs, real))?.kind !== "dir") return { refusal: `cwd "${requested}" is not a directory` };
  return { cwd: real, root };
}
