/**
 * Write-back, step one: compare three states of every path (what was loaded,
 * what the guest's tree holds now, what the host holds now) and decide, without
 * changing anything on the host, which changes to make. A change is planned
 * only where the guest changed something and the host entry is still the one
 * that was loaded; everything else is kept and listed in the report.
 *
 * @module
 */
import { SandboxError } from "../errors.ts";
import type { HostFileInfo, HostFileKind, HostFileSystem } from "../platform/types.ts";
import { sha256Hex } from "../module/sha256.ts";
import { joinHost } from "./_host_paths.ts";
import { linkEscape } from "./_link_resolve.ts";
import type { HostView } from "./_link_resolve.ts";
import { childPath, sameAsLoaded, sameHostEntry } from "./_mount_snapshot.ts";
import type { LoadedEntry, MountSnapshot } from "./_mount_snapshot.ts";
import { VirtualDirectory, VirtualFile, VirtualSymlink } from "./vfs.ts";
import type { VirtualNode } from "./vfs.ts";
import type { WriteBackReport } from "./write_back_report.ts";

/** One planned host change. `expect` is the loaded entry the host must still hold when it is made. */
export type WriteBackOp =
  | { op: "delete"; rel: string; expect: LoadedEntry }
  | { op: "mkdir"; rel: string }
  | { op: "put"; rel: string; node: VirtualFile | VirtualSymlink; expect?: LoadedEntry };

/** The plan: deletions (children before parents), then creations (parents before children). */
export interface WriteBackPlan {
  deletes: Array<Extract<WriteBackOp, { op: "delete" }>>;
  creates: Array<Extract<WriteBackOp, { op: "mkdir" | "put" }>>;
  /** Identity of every existing host directory the plan writes into. */
  dirs: Map<string, { dev: number; ino: number }>;
}

/** Nesting the planner follows (as at load time). */
const MAX_DEPTH = 256;
/** Linux's PATH_MAX counts the NUL: a path may hold at most 4095 bytes. */
const MAX_HOST_PATH_BYTES = 4095;
const encoder = new TextEncoder();

interface Planner {
  fs: HostFileSystem;
  root: string;
  tree: VirtualDirectory;
  snapshot: MountSnapshot;
  report: WriteBackReport;
  plan: WriteBackPlan;
  /** Paths where the host keeps an entry the tree does not describe. */
  kept: Set<string>;
  /** Paths of tree nodes that will not reach the host (refused creations). */
  absent: Set<string>;
}

/**
 * Plans the write-back of `tree` into the host directory `root`. Reads the
 * host (lstat, listings, contents of files it would replace or delete) but
 * changes nothing. Issues found go straight into `report`.
 */
export async function planWriteBack(
  fs: HostFileSystem,
  root: string,
  tree: VirtualDirectory,
  snapshot: MountSnapshot,
  report: WriteBackReport,
): Promise<WriteBackPlan> {
  const plan: WriteBackPlan = { deletes: [], creates: [], dirs: new Map([["", identity(snapshot.root)]]) };
  const planner: Planner = { fs, root, tree, snapshot, report, plan, kept: new Set(), absent: new Set() };
  await planDir(planner, tree, "", 0);
  refuseEscapingLinks(planner);
  return plan;
}

/**
 * Plans directory `rel`, an existing host directory.
 * `guest` is the guest's directory, or undefined when the guest deleted it.
 * Returns true when nothing will be left on the host under `rel` (so the
 * directory itself can go).
 */
async function planDir(p: Planner, guest: VirtualDirectory | undefined, rel: string, depth: number): Promise<boolean> {
  if (depth > MAX_DEPTH) {
    p.kept.add(rel);
    p.report.refused.push({ path: rel, reason: `nests deeper than ${MAX_DEPTH} levels; nothing below written` });
    return false;
  }
  const hostDir = hostPathOf(p, rel);
  const onHost = new Map<string, HostFileKind>();
  for (const e of await hostCall(() => p.fs.readDir(hostDir), `listing ${hostDir}`)) onHost.set(e.name, e.kind);
  const names = new Set([...onHost.keys(), ...(guest?.entries.keys() ?? [])]);
  let allGone = true;
  for (const name of [...names].sort()) {
    const path = childPath(rel, name);
    const node = guest?.entries.get(name);
    const hostInfo = onHost.has(name) ? await lstatOrUndefined(p, path) : undefined;
    const skippedReason = p.snapshot.skipped.get(path);
    const loaded = p.snapshot.loaded.get(path);
    if (skippedReason !== undefined) {
      // The guest never saw this entry: it is the host's, whatever the guest did around it.
      if (hostInfo) {
        p.kept.add(path);
        allGone = false;
      }
      if (node) {
        p.report.conflicts.push({ path, reason: `the host holds an entry here the mount skipped (${skippedReason}); the sandbox's ${node.kind} was not written` });
      } else if (hostInfo && !guest) {
        p.report.skipped.push({ path, reason: `${skippedReason}; kept although the sandbox deleted its directory` });
      }
    } else if (loaded) {
      if (!(await planLoaded(p, path, node, loaded, hostInfo, depth, guest === undefined))) allGone = false;
    } else if (hostInfo) {
      // Created on the host during the run (by another process, or a command the guest ran).
      if (node instanceof VirtualDirectory && hostInfo.kind === "dir") {
        p.plan.dirs.set(path, identity(hostInfo));
        if (!(await planDir(p, node, path, depth + 1))) allGone = false;
        continue;
      }
      p.kept.add(path);
      allGone = false;
      if (node) {
        p.report.conflicts.push({ path, reason: `created on the host during the run; the host's ${kindName(hostInfo.kind)} kept, the sandbox's ${node.kind} not written` });
      } else if (!guest) {
        p.report.conflicts.push({ path, reason: `created on the host during the run; kept although the sandbox deleted its directory` });
      }
    } else if (node) {
      planCreate(p, path, node, depth);
    }
  }
  return allGone;
}

/** Plans a path that was loaded. Returns true when nothing will be left on the host there. */
async function planLoaded(
  p: Planner,
  path: string,
  node: VirtualNode | undefined,
  loaded: LoadedEntry,
  hostInfo: HostFileInfo | undefined,
  depth: number,
  parentDeleted: boolean,
): Promise<boolean> {
  const unchanged = hostInfo !== undefined && sameHostEntry(hostInfo, loaded.info);
  if (!node) {
    // The guest deleted it (or its directory).
    if (!hostInfo) return true; // deleted on both sides
    if (!unchanged || !(await hostStillHolds(p, path, loaded))) {
      p.kept.add(path);
      p.report.conflicts.push({ path, reason: `changed on the host during the run; not deleted` });
      return false;
    }
    return await planDelete(p, path, loaded, depth, parentDeleted);
  }
  if (loaded.kind === "dir" && node instanceof VirtualDirectory) {
    if (unchanged) {
      p.plan.dirs.set(path, identity(hostInfo!));
      return await planDir(p, node, path, depth + 1);
    }
    // The host replaced or removed the directory: the guest's tree there will not be on the host.
    if (hostInfo) p.kept.add(path);
    else p.absent.add(path);
    if (!(await subtreeAsLoaded(p, node, path))) {
      p.report.conflicts.push({ path, reason: `directory ${hostInfo ? "replaced" : "removed"} on the host during the run; the sandbox's changes inside were not written` });
    }
    return hostInfo === undefined;
  }
  if (sameAsLoaded(node, loaded)) {
    // The guest left it alone: whatever the host did with it stands.
    if (!hostInfo) p.absent.add(path);
    else if (!unchanged) p.kept.add(path);
    return hostInfo === undefined;
  }
  if (!unchanged || !(await hostStillHolds(p, path, loaded))) {
    if (hostInfo) p.kept.add(path);
    p.report.conflicts.push({
      path,
      reason: hostInfo
        ? "changed on the host during the run and in the sandbox; the host's version kept"
        : "deleted on the host during the run; the sandbox's version not written",
    });
    return hostInfo === undefined;
  }
  // The guest changed it and the host still holds what was loaded: replace.
  if ((node instanceof VirtualFile || node instanceof VirtualSymlink) && loaded.kind !== "dir") {
    if (!checkPathLength(p, path)) {
      p.kept.add(path);
      return false;
    }
    p.plan.creates.push({ op: "put", rel: path, node, expect: loaded });
    return false;
  }
  if (!(await planDelete(p, path, loaded, depth, true))) {
    p.report.conflicts.push({ path, reason: `the sandbox made this a ${node.kind}, but the host directory still holds entries write-back must not delete` });
    return false;
  }
  planCreate(p, path, node, depth);
  return false;
}

/** Plans deleting a loaded entry that the host still holds unchanged. Returns true when it will be gone. */
async function planDelete(p: Planner, path: string, loaded: LoadedEntry, depth: number, parentDeleted: boolean): Promise<boolean> {
  if (loaded.kind === "dir") {
    p.plan.dirs.set(path, identity(loaded.info)); // its entries are deleted first, from inside it
    if (!(await planDir(p, undefined, path, depth + 1))) {
      p.kept.add(path);
      if (!parentDeleted) p.report.skipped.push({ path, reason: "directory kept: it still holds host entries write-back must not delete" });
      return false;
    }
  }
  p.plan.deletes.push({ op: "delete", rel: path, expect: loaded });
  return true;
}

/** Plans creating the guest's `node` at `path`, where the host holds nothing. */
function planCreate(p: Planner, path: string, node: VirtualNode, depth: number): void {
  if (!checkPathLength(p, path)) {
    p.absent.add(path);
    return;
  }
  if (node instanceof VirtualDirectory) {
    if (depth + 1 > MAX_DEPTH) {
      p.absent.add(path);
      p.report.refused.push({ path, reason: `nests deeper than ${MAX_DEPTH} levels; not written` });
      return;
    }
    p.plan.creates.push({ op: "mkdir", rel: path });
    for (const [name, child] of [...node.entries].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
      planCreate(p, childPath(path, name), child, depth + 1);
    }
  } else if (node instanceof VirtualFile || node instanceof VirtualSymlink) {
    p.plan.creates.push({ op: "put", rel: path, node });
  }
}

/**
 * Refuses every planned symlink that would lead outside the mount in the
 * tree as it will be on the host, and every planned link an unchanged host
 * link would now escape through. Repeats until nothing changes, since each
 * refusal changes what the host will hold.
 */
function refuseEscapingLinks(p: Planner): void {
  const planned = new Map<string, Extract<WriteBackOp, { op: "put" }>>();
  for (const op of p.plan.creates) if (op.op === "put" && op.node instanceof VirtualSymlink) planned.set(op.rel, op);
  const view: HostView = (rel) => (p.kept.has(rel) ? "opaque" : p.absent.has(rel) ? "absent" : undefined);
  const refuse = (rel: string, reason: string) => {
    const op = planned.get(rel)!;
    planned.delete(rel);
    p.plan.creates.splice(p.plan.creates.indexOf(op), 1);
    if (op.expect) p.kept.add(rel); // the host keeps the entry the link would have replaced
    else p.absent.add(rel);
    p.report.refused.push({ path: rel, reason: `symlink not written: ${reason}` });
  };
  for (let changed = true; changed;) {
    changed = false;
    for (const [rel, link] of linksInTree(p.tree, view)) {
      const escape = linkEscape(p.tree, rel, link.target, view);
      if (!escape) continue;
      if (planned.has(rel)) {
        refuse(rel, escape.reason);
        changed = true;
        continue;
      }
      // A link already on the host that the guest's new links would now lead out: refuse those.
      for (const through of escape.through) {
        if (planned.has(through)) {
          refuse(through, `the host's link ${rel} would then lead outside the mount (${escape.reason})`);
          changed = true;
        }
      }
    }
  }
}

/** Every symlink in the tree that the host will hold as the tree says, with its path. */
function* linksInTree(dir: VirtualDirectory, view: HostView, rel = "", depth = 0): Generator<[string, VirtualSymlink]> {
  if (depth > MAX_DEPTH) return;
  for (const [name, node] of dir.entries) {
    const path = childPath(rel, name);
    if (view(path) !== undefined) continue;
    if (node instanceof VirtualSymlink) yield [path, node];
    else if (node instanceof VirtualDirectory) yield* linksInTree(node, view, path, depth + 1);
  }
}

/** True when the guest's subtree at `rel` holds exactly what was loaded there. */
async function subtreeAsLoaded(p: Planner, dir: VirtualDirectory, rel: string): Promise<boolean> {
  const loadedNames = new Set<string>();
  const prefix = rel === "" ? "" : `${rel}/`;
  for (const path of p.snapshot.loaded.keys()) {
    if (path.startsWith(prefix) && !path.slice(prefix.length).includes("/")) loadedNames.add(path.slice(prefix.length));
  }
  if (loadedNames.size !== dir.entries.size) return false;
  for (const [name, node] of dir.entries) {
    const loaded = p.snapshot.loaded.get(childPath(rel, name));
    if (!loaded || !sameAsLoaded(node, loaded)) return false;
    if (node instanceof VirtualDirectory && !(await subtreeAsLoaded(p, node, childPath(rel, name)))) return false;
  }
  return true;
}

/**
 * True when a file's host contents still hash to what was loaded (a write
 * within one timestamp tick keeps size and times); other kinds were fully
 * compared by {@linkcode sameHostEntry}, and a symlink's target is read again.
 */
async function hostStillHolds(p: Planner, path: string, loaded: LoadedEntry): Promise<boolean> {
  const host = joinHost(p.root, path);
  if (loaded.kind === "file") return sha256Hex(await hostCall(() => p.fs.readFile(host), `reading ${host}`)) === loaded.digest;
  if (loaded.kind === "symlink") return (await hostCall(() => p.fs.readLink(host), `reading link ${host}`)) === loaded.target;
  return true;
}

/** Refuses (and reports) a path the host cannot hold. */
function checkPathLength(p: Planner, path: string): boolean {
  const bytes = encoder.encode(hostPathOf(p, path)).byteLength;
  if (bytes <= MAX_HOST_PATH_BYTES) return true;
  p.report.refused.push({ path, reason: `the host path would be ${bytes} bytes, more than the host allows (${MAX_HOST_PATH_BYTES}); not written` });
  return false;
}

async function lstatOrUndefined(p: Planner, rel: string): Promise<HostFileInfo | undefined> {
  const path = hostPathOf(p, rel);
  try {
    return await p.fs.lstat(path);
  } catch (err) {
    if ((err as { name?: string }).name === "HostNotFoundError") return undefined;
    throw new SandboxError("IoError", `reading ${path} failed: ${(err as Error).message}`, { cause: err });
  }
}

function hostPathOf(p: Planner, rel: string): string {
  return rel === "" ? p.root : joinHost(p.root, rel);
}

function identity(info: HostFileInfo): { dev: number; ino: number } {
  return { dev: info.dev, ino: info.ino };
}

function kindName(kind: HostFileKind): string {
  return kind === "dir" ? "directory" : kind === "other" ? "special file" : kind;
}

/** Runs a host read, wrapping a failure as `IoError`. */
async function hostCall<T>(op: () => Promise<T>, what: string): Promise<T> {
  try {
    return await op();
  } catch (err) {
    throw new SandboxError("IoError", `${what} failed: ${(err as Error).message}`, { cause: err });
  }
}
