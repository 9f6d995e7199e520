/**
 * Host directories mounted into the sandbox: copied into a virtual tree when
 * mounted (under a byte quota), and written back to the host only when asked.
 *
 * Host symlinks are never followed. A symlink that, resolved as the kernel
 * resolves it (every symlink on the way followed), stays inside the mount
 * becomes a virtual symlink; any other (absolute, climbing out, or passing
 * through something skipped) is left out and listed in `skipped`, as are
 * sockets, FIFOs and devices.
 *
 * Write-back (`_write_back_plan.ts`, `_write_back_apply.ts`) changes only
 * what the guest changed, only where the host still holds what was loaded,
 * and reports everything else.
 *
 * @module
 */
import { SandboxError } from "../errors.ts";
import type { HostFileSystem } from "../platform/types.ts";
import { joinHost } from "./_host_paths.ts";
import { linkEscape } from "./_link_resolve.ts";
import { childPath, sameHostEntry } from "./_mount_snapshot.ts";
import type { LoadedEntry, MountSnapshot } from "./_mount_snapshot.ts";
import { applyWriteBack } from "./_write_back_apply.ts";
import { planWriteBack } from "./_write_back_plan.ts";
import { registerMount } from "./mount_overlap.ts";
import { sha256Hex } from "../module/sha256.ts";
import { VirtualDirectory, VirtualFile, VirtualSymlink } from "./vfs.ts";
import { emptyWriteBackReport } from "./write_back_report.ts";
import type { WriteBackReport } from "./write_back_report.ts";

/** Options for {@linkcode mountHostDirectory}. */
export interface MountOptions {
  /** The guest may read but not change anything; `writeBack()` is refused. */
  readOnly?: boolean;
  /** Bytes of file data the mount may load (default 64 MiB). */
  quotaBytes?: number;
  /**
   * The host file system to read and write back through: the running
   * runtime's (`(await hostPlatform()).fs`), or in tests one that fails on cue.
   */
  fs: HostFileSystem;
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
   * Applies the guest's changes to the host directory and says what it did.
   * Only entries the guest changed are touched, and only where the host still
   * holds exactly what was loaded; entries skipped at load and entries changed
   * or created on the host during the run are never deleted or overwritten;
   * symlinks that would lead outside the mount are not created. New contents
   * are staged first, so a host failure there changes nothing. Every change
   * not made is in the report; only a read-only mount throws (`InvalidState`).
   */
  writeBack(): Promise<WriteBackReport>;
}

const DEFAULT_MOUNT_QUOTA = 64 << 20;
const MAX_DEPTH = 256;

/**
 * Loads `hostPath` into a virtual tree.
 *
 * @example
 * ```ts
 * const { fs } = await hostPlatform();
 * const mount = await mountHostDirectory("./data", { fs, readOnly: false, quotaBytes: 8 << 20 });
 * const wasi = new WasiHost({ preopens: [{ guestPath: "/data", dir: mount.dir }] });
 * // ... run the guest ...
 * const report = await mount.writeBack();
 * for (const line of formatWriteBackReport(report, mount.hostPath)) console.error(line);
 * ```
 */
export async function mountHostDirectory(hostPath: string, options: MountOptions): Promise<HostMount> {
  const fs = options?.fs;
  if (fs === undefined) {
    throw new SandboxError("InvalidArgument", "mountHostDirectory() needs options.fs: the host file system, (await hostPlatform()).fs");
  }
  const readOnly = options.readOnly ?? false;
  const quota = options.quotaBytes ?? DEFAULT_MOUNT_QUOTA;
  const root = await hostCall(() => fs.realPath(hostPath), `resolving mount ${hostPath}`);
  const rootInfo = await hostCall(() => fs.lstat(root), `reading ${root}`);
  if (rootInfo.kind !== "dir") throw new SandboxError("InvalidArgument", `mount source ${hostPath} is not a directory`);
  const skipped: Array<{ path: string; reason: string }> = [];
  const entries = new Map<string, LoadedEntry>();
  let loaded = 0;

  const load = async (hostDir: string, relative: string, depth: number): Promise<VirtualDirectory> => {
    if (depth > MAX_DEPTH) throw new SandboxError("IoError", `mount ${hostPath} nests deeper than ${MAX_DEPTH} levels`);
    const dir = new VirtualDirectory(readOnly);
    const listing = await hostCall(() => fs.readDir(hostDir), `listing ${hostDir}`);
    listing.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)); // same order on every host
    for (const entry of listing) {
      const path = joinHost(hostDir, entry.name);
      const rel = childPath(relative, entry.name);
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
        entries.set(rel, { kind: "file", info, digest: sha256Hex(data) });
      } else if (info.kind === "dir") {
        entries.set(rel, { kind: "dir", info });
        child = await load(path, rel, depth + 1);
      } else if (info.kind === "symlink") {
        const target = await hostCall(() => fs.readLink(path), `reading link ${path}`);
        entries.set(rel, { kind: "symlink", info, target });
        child = new VirtualSymlink(target, readOnly); // checked below, once the whole tree is known
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
  dropEscapingLinks(dir, entries, skipped);
  const snapshot: MountSnapshot = { root: rootInfo, loaded: entries, skipped: new Map(skipped.map((s) => [s.path, s.reason])) };
  registerMount(dir, root);
  return {
    dir,
    hostPath: root,
    readOnly,
    skipped,
    writeBack: async () => {
      if (readOnly) throw new SandboxError("InvalidState", `mount ${hostPath} is read-only; nothing to write back`);
      return await writeBack(fs, root, dir, snapshot);
    },
  };
}

/**
 * Takes out of the tree every loaded symlink that, resolved as the kernel
 * would on the host, leads outside the mount; each one left out can change
 * where others lead, so this repeats until none is found.
 */
function dropEscapingLinks(root: VirtualDirectory, entries: Map<string, LoadedEntry>, skipped: Array<{ path: string; reason: string }>): void {
  const left = new Set<string>();
  const view = (rel: string) => (left.has(rel) ? "opaque" as const : undefined);
  for (let changed = true; changed;) {
    changed = false;
    for (const [rel, entry] of entries) {
      if (entry.kind !== "symlink") continue;
      const escape = linkEscape(root, rel, entry.target!, view);
      if (!escape) continue;
      const slash = rel.lastIndexOf("/");
      const parent = slash === -1 ? root : nodeAt(root, rel.slice(0, slash));
      parent?.entries.delete(rel.slice(slash + 1));
      entries.delete(rel);
      left.add(rel);
      skipped.push({ path: rel, reason: `symlink points outside the mount: ${escape.reason}` });
      changed = true;
    }
  }
  skipped.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

function nodeAt(root: VirtualDirectory, rel: string): VirtualDirectory | undefined {
  let node: VirtualDirectory | undefined = root;
  for (const name of rel.split("/")) {
    const next: unknown = node?.entries.get(name);
    node = next instanceof VirtualDirectory ? next : undefined;
  }
  return node;
}

/** Plans, stages and applies; the root itself must still be the directory that was loaded. */
async function writeBack(fs: HostFileSystem, root: string, dir: VirtualDirectory, snapshot: MountSnapshot): Promise<WriteBackReport> {
  const report = emptyWriteBackReport();
  try {
    const real = await fs.realPath(root);
    const now = await fs.lstat(root);
    if (real !== root || !sameHostEntry(now, snapshot.root)) {
      report.failed.push({ path: ".", reason: `the mount root ${root} was moved or replaced during the run; nothing written back` });
      return report;
    }
    const plan = await planWriteBack(fs, root, dir, snapshot, report);
    await applyWriteBack(fs, root, plan, report);
  } catch (err) {
    // Planning only reads, and applying reports per change: anything landing here stopped before the changes.
    report.failed.push({ path: ".", reason: `write-back stopped: ${(err as Error).message}; changes not listed as applied were not made` });
  }
  return report;
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
