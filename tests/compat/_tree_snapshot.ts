// Flat snapshots of a directory tree (virtual or on the host) so that what two
// runtimes produced can be compared with one deep-equality assertion.
import { lstatSync, mkdirSync, readdirSync, readFileSync, readlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { VirtualDirectory, VirtualFile, VirtualSymlink } from "../../lib/wasi/vfs.ts";
import type { TreeSpec } from "../../lib/wasi/mod.ts";

/**
 * Relative path → contents: text for UTF-8 files (readable diffs), bytes for
 * anything else; `""` under `dir/` for directories, `-> target` for symlinks.
 */
export type TreeSnapshot = Record<string, string | Uint8Array>;

const decoder = new TextDecoder("utf-8", { fatal: true });

function contents(bytes: Uint8Array): string | Uint8Array {
  try {
    return decoder.decode(bytes);
  } catch {
    return bytes;
  }
}

const byName = ([a]: [string, unknown], [b]: [string, unknown]) => (a < b ? -1 : a > b ? 1 : 0);

/** Snapshots a virtual directory as the guest left it. */
export function snapshotVirtual(dir: VirtualDirectory, prefix = ""): TreeSnapshot {
  const out: TreeSnapshot = {};
  for (const [name, node] of [...dir.entries].sort(byName)) {
    const path = prefix + name;
    if (node.kind === "dir") {
      out[`${path}/`] = "";
      Object.assign(out, snapshotVirtual(node as VirtualDirectory, `${path}/`));
    } else if (node.kind === "file") {
      out[path] = contents((node as VirtualFile).contents());
    } else {
      out[path] = `-> ${(node as VirtualSymlink).target}`;
    }
  }
  return out;
}

/** Snapshots a host directory the same way (symlinks are not followed). */
export function snapshotHost(root: string, prefix = ""): TreeSnapshot {
  const out: TreeSnapshot = {};
  for (const name of readdirSync(join(root, prefix)).sort()) {
    const path = prefix + name;
    const full = join(root, path);
    const stat = lstatSync(full);
    if (stat.isDirectory()) {
      out[`${path}/`] = "";
      Object.assign(out, snapshotHost(root, `${path}/`));
    } else if (stat.isSymbolicLink()) {
      out[path] = `-> ${readlinkSync(full)}`;
    } else {
      out[path] = contents(new Uint8Array(readFileSync(full)));
    }
  }
  return out;
}

/** Writes a {@linkcode TreeSpec} to a host directory (for the reference runtime and host mounts). */
export function writeTreeToHost(root: string, spec: TreeSpec): void {
  for (const [name, value] of Object.entries(spec)) {
    const path = join(root, name);
    if (typeof value === "string" || value instanceof Uint8Array) writeFileSync(path, value);
    else {
      mkdirSync(path);
      writeTreeToHost(path, value);
    }
  }
}
