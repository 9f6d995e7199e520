/**
 * Command resolution and the allow/block check. The requested command is
 * resolved to one canonical absolute path (search path lookup over the
 * policy's directories — never the guest's PATH — and symlinks resolved)
 * before it is checked, and exactly that path is what runs. So `/bin/rm`,
 * `./rm`, a symlink to rm and a PATH trick all meet the same block entry.
 *
 * @module
 */
import type { HostFileSystem } from "../platform/types.ts";
import { infoOf, isExecutableFile, realPathOf } from "./_real_paths.ts";
import type { SandboxPolicy } from "./policy.ts";

/** `rel` against `base` when relative; no normalisation (realPath does that). */
export function joinPath(base: string, rel: string): string {
  if (rel.startsWith("/")) return rel;
  return base.endsWith("/") ? base + rel : `${base}/${rel}`;
}

/** The last path component. */
export function baseName(path: string): string {
  return path.slice(path.lastIndexOf("/") + 1);
}

/** The real path of `path` when it leads to an executable file; what runs is exactly that path. */
async function executableRealPath(fs: HostFileSystem, path: string): Promise<string | undefined> {
  const real = await realPathOf(fs, path);
  if (real === undefined || !isExecutableFile(await infoOf(fs, real))) return undefined;
  return real;
}

/** The real path of the first executable file `name` in `searchPath`, like execvp but without the guest's PATH. */
export async function findOnSearchPath(
  fs: HostFileSystem,
  name: string,
  searchPath: readonly string[],
): Promise<string | undefined> {
  for (const dir of searchPath) {
    const found = await executableRealPath(fs, joinPath(dir, name));
    if (found !== undefined) return found;
  }
  return undefined;
}

/**
 * The real path a requested command runs as: a name is looked up on the
 * policy's search path; anything with a `/` is a path, relative ones taken
 * from `cwd` (the command's working directory, as a shell would).
 */
export function resolveCommand(
  fs: HostFileSystem,
  command: string,
  policy: Pick<SandboxPolicy, "searchPath">,
  cwd: string,
): Promise<string | undefined> {
  if (command.includes("/")) return executableRealPath(fs, joinPath(cwd, command));
  return findOnSearchPath(fs, command, policy.searchPath);
}

async function resolveEntries(fs: HostFileSystem, entries: readonly string[], searchPath: readonly string[]) {
  const paths = new Set<string>();
  const names = new Set<string>();
  for (const entry of entries) {
    if (entry.startsWith("/")) {
      paths.add(entry);
      const real = await realPathOf(fs, entry);
      if (real !== undefined) paths.add(real);
    } else {
      names.add(entry);
      const real = await findOnSearchPath(fs, entry, searchPath);
      if (real !== undefined) paths.add(real);
    }
  }
  return { paths, names };
}

/**
 * Why the policy refuses `realPath` (requested as `command`), or `undefined`
 * when it is allowed. Blocked when its real path matches a resolved block
 * entry, or its name or requested name equals a blocked name; allowed only
 * when its real path matches a resolved allow entry.
 */
export async function commandRefusal(
  fs: HostFileSystem,
  realPath: string,
  command: string,
  policy: Pick<SandboxPolicy, "allowedCommands" | "blockedCommands" | "searchPath">,
): Promise<string | undefined> {
  const blocked = await resolveEntries(fs, policy.blockedCommands, policy.searchPath);
  if (blocked.paths.has(realPath) || blocked.names.has(baseName(realPath)) || blocked.names.has(baseName(command))) {
    return `command "${command}" (${realPath}) is blocked by the policy`;
  }
  const allowed = await resolveEntries(fs, policy.allowedCommands, policy.searchPath);
  if (!allowed.paths.has(realPath)) return `command "${command}" (${realPath}) is not in the policy's allowed commands`;
  return undefined;
}
