/**
 * Host directories mounted into the sandbox: copied into a virtual tree when
 * mounted (under a byte quota), and written back to the host only when asked.
 *
 * Host symlinks are never followed. A symlink whose target stays inside the
 * mount (relative, and not climbing above the mount root) becomes a virtual
 * symlink resolved inside the sandbox; any other symlink (absolute, or
 * climbing out) is dropped and listed in `skipped`. Sockets, FIFOs and
 * devices are skipped too.
 *
 * @module
 */
import { SandboxError } from "../errors.ts";
import { hostPlatform } from "../platform/host_platform.ts";
import type { HostFileSystem } from "../platform/types.ts";
import { joinHost, targetStaysInside } from "./_host_paths.ts";
import { VirtualDirectory, VirtualFile, VirtualSymlink } from "./vfs.ts";

/** Options for {@linkcode mountHostDirectory}. */
export interface MountOptions {
  /** The guest may read but not change anything; `writeBack()` is refused. */
  readOnly?: boolean;
  /** Bytes of file data the mount may load (default 64 MiB). */
  quotaBytes?: number;
}

/** A host directory loaded into memory. */
export interface HostMount {
  /** The virtual tree to preopen. */
  readonly dir: VirtualDirectory;
  /** The mount root on the host (symlinks resolved). */
  readonly hostPath: string;
  readonly readOnly: boolean;
  /** Host paths (relative to the root) left out at load time, with the reason. */
  readonly skipped: ReadonlyArray<{ path: string; reason: string }>;
  /**
   * Makes the host directory match the virtual tree: creates, updates and
   * deletes files, directories and inside-pointing symlinks. Never writes
   * through a host symlink or outside the root; host entries skipped at load
   * time are left alone unless the guest created something with their name.
   */
  writeBack(): Promise<void>;
}

const DEFAULT_MOUNT_QUOTA = 64 << 20;
const MAX_DEPTH = 256;

/**
 * Loads `hostPath` into a virtual tree.
 *
 * @example
 * ```ts
 * const mount = await mountHostDirectory("./data", { readOnly: false, quotaBytes: 8 << 20 });
 * const wasi = new WasiHost({ preopens: [{ guestPath: "/data", dir: mount.dir }] });
 * // ... run the guest ...
 * await mount.writeBack();
 * ```
 */
export async function mountHostDirectory(hostPath: string, options: MountOptions = {}): Promise<HostMount> {
  const fs = (await hostPlatform()).fs;
  const readOnly = options.readOnly ?? false;
  const quota = options.quotaBytes ?? DEFAULT_MOUNT_QUOTA;
  const root = await hostCall(() => fs.realPath(hostPath), `resolving mount ${hostPath}`);
  const rootInfo = await hostCall(() => fs.lstat(root), `reading ${root}`);
  if (rootInfo.kind !== "dir") throw new SandboxError("InvalidArgument", `mount source ${hostPath} is not a directory`);
  const skipped: Array<{ path: string; reason: string }> = [];
  let loaded = 0;

  const load = async (hostDir: string, relative: string, depth: number): Promise<VirtualDirectory> => {
    if (depth > MAX_DEPTH) throw new SandboxError("IoError", `mount ${hostPath} nests deeper than ${MAX_DEPTH} levels`);
    const dir = new VirtualDirectory(readOnly);
    const entries = await hostCall(() => fs.readDir(hostDir), `listing ${hostDir}`);
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)); // same order on every host
    for (const entry of entries) {
      const path = joinHost(hostDir, entry.name);
      const rel = relative === "" ? entry.name : `${relative}/${entry.name}`;
      // lstat again rather than trusting readDir's kind: it must not follow a symlink.
      const info = await hostCall(() => fs.lstat(path), `reading ${path}`);
      let child;
      if (info.kind === "file") {
        loaded += info.size;
        if (loaded > quota) {
          throw new SandboxError("MemoryLimit", `mount ${hostPath} holds more than its quota of ${quota} bytes; raise quotaBytes`);
        }
        const data = await hostCall(() => fs.readFile(path), `reading ${path}`);
        loaded += data.byteLength - info.size; // the file may have changed size since lstat
        if (loaded > quota) {
          throw new SandboxError("MemoryLimit", `mount ${hostPath} holds more than its quota of ${quota} bytes; raise quotaBytes`);
        }
        child = new VirtualFile(data, readOnly);
      } else if (info.kind === "dir") {
        child = await load(path, rel, depth + 1);
      } else if (info.kind === "symlink") {
        const target = await hostCall(() => fs.readLink(path), `reading link ${path}`);
        if (!targetStaysInside(target, depth)) {
          skipped.push({ path: rel, reason: `symlink to ${target} points outside the mount` });
          continue;
        }
        child = new VirtualSymlink(target, readOnly);
      } else {
        skipped.push({ path: rel, reason: "not a file, directory or symlink" });
        continue;
      }
      const ns = BigInt(Math.round(info.mtimeMs * 1e6));
      child.mtimNs = ns;
      child.atimNs = ns;
      child.ctimNs = ns;
      child.nlink = 1;
      dir.entries.set(entry.name, child);
    }
    return dir;
  };

  const dir = await load(root, "", 0);
  return {
    dir,
    hostPath: root,
    readOnly,
    skipped,
    writeBack: async () => {
      if (readOnly) throw new SandboxError("InvalidState", `mount ${hostPath} is read-only; nothing to write back`);
      await syncDirectory(fs, dir, root, "", new Set(skipped.map((s) => s.path)));
    },
  };
}

/** Makes host directory `hostDir` (known to be a real directory) match `dir`. */
async function syncDirectory(
  fs: HostFileSystem,
  dir: VirtualDirectory,
  hostDir: string,
  relative: string,
  skipped: ReadonlySet<string>,
): Promise<void> {
  const depth = relative === "" ? 0 : relative.split("/").length;
  if (depth > MAX_DEPTH) throw new SandboxError("IoError", `virtual tree nests deeper than ${MAX_DEPTH} levels`);
  const onHost = new Map((await hostCall(() => fs.readDir(hostDir), `listing ${hostDir}`)).map((e) => [e.name, e]));
  const relOf = (name: string) => (relative === "" ? name : `${relative}/${name}`);
  for (const name of onHost.keys()) {
    // Entries the guest never saw (outward symlinks, devices) are the host's business: keep them.
    if (!dir.entries.has(name) && !skipped.has(relOf(name))) {
      const path = joinHost(hostDir, name);
      await hostCall(() => fs.remove(path, { recursive: true }), `removing ${path}`);
    }
  }
  for (const [name, node] of dir.entries) {
    const path = joinHost(hostDir, name);
    const kind = onHost.has(name) ? (await hostCall(() => fs.lstat(path), `reading ${path}`)).kind : undefined;
    if (node instanceof VirtualFile) {
      if (kind === "file" && (await sameContents(fs, path, node))) continue;
      // Remove whatever is there first, so writeFile never follows a symlink planted at `path`.
      if (kind !== undefined) await hostCall(() => fs.remove(path, { recursive: true }), `removing ${path}`);
      await hostCall(() => fs.writeFile(path, node.contents()), `writing ${path}`);
    } else if (node instanceof VirtualDirectory) {
      if (kind !== "dir") {
        if (kind !== undefined) await hostCall(() => fs.remove(path, { recursive: true }), `removing ${path}`);
        await hostCall(() => fs.mkdir(path), `creating ${path}`);
      }
      await syncDirectory(fs, node, path, relOf(name), skipped);
    } else if (node instanceof VirtualSymlink) {
      if (!targetStaysInside(node.target, depth)) {
        // The guest made a link pointing out of the mount: never materialise it on the host.
        if (kind !== undefined) await hostCall(() => fs.remove(path, { recursive: true }), `removing ${path}`);
        continue;
      }
      if (kind === "symlink" && (await hostCall(() => fs.readLink(path), `reading link ${path}`)) === node.target) continue;
      if (kind !== undefined) await hostCall(() => fs.remove(path, { recursive: true }), `removing ${path}`);
      await hostCall(() => fs.symlink(node.target, path), `creating link ${path}`);
    }
  }
}

async function sameContents(fs: HostFileSystem, path: string, file: VirtualFile): Promise<boolean> {
  const info = await hostCall(() => fs.lstat(path), `reading ${path}`);
  if (info.size !== file.size) return false;
  const current = await hostCall(() => fs.readFile(path), `reading ${path}`);
  const wanted = file.contents();
  if (current.byteLength !== wanted.byteLength) return false;
  for (let i = 0; i < wanted.byteLength; i++) if (current[i] !== wanted[i]) return false;
  return true;
}

/** Runs a host operation, wrapping any failure as `IoError`/`NotFound`. */
async function hostCall<T>(op: () => Promise<T>, what: string): Promise<T> {
  try {
    return await op();
  } catch (err) {
    if (err instanceof SandboxError) throw err;
    const notFound = (err as { name?: string }).name === "HostNotFoundError";
    throw new SandboxError(notFound ? "NotFound" : "IoError", `${what} failed: ${(err as Error).message}`, { cause: err });
  }
}
