/**
 * POSIX path helpers for host mounts (lib/ never imports `node:path`).
 *
 * @module
 */

/** `dir` + `/` + `name`. */
export function joinHost(dir: string, name: string): string {
  return dir.endsWith("/") ? dir + name : `${dir}/${name}`;
}

/**
 * True when a relative symlink `target`, placed at depth `depth` below the
 * mount root (0 = a link directly in the root), stays inside the mount when
 * resolved lexically. Absolute targets never count as inside.
 */
export function targetStaysInside(target: string, depth: number): boolean {
  if (target.length === 0 || target.startsWith("/") || target.includes("\0")) return false;
  let level = depth;
  for (const part of target.split("/")) {
    if (part === "" || part === ".") continue;
    if (part === "..") {
      level -= 1;
      if (level < 0) return false;
    } else {
      level += 1;
    }
  }
  return true;
}
