/**
 * Write-back, step two: carry out a plan. Every new file and symlink is first
 * staged in a fresh directory inside the mount root; a failure there (no
 * space, a quota, a target the host refuses) leaves the host as it was and
 * marks every change not applied. Then each change is made by an operation
 * that never follows a symlink (rename into place, mkdir, unlink, rmdir),
 * right after checking that its parent directory is still the one planned and
 * that the entry it replaces or deletes is still the one loaded. A change
 * that fails is listed with its error; the others still go ahead.
 *
 * @module
 */
import type { HostFileInfo, HostFileSystem } from "../platform/types.ts";
import { joinHost } from "./_host_paths.ts";
import { sameHostEntry } from "./_mount_snapshot.ts";
import type { WriteBackOp, WriteBackPlan } from "./_write_back_plan.ts";
import { VirtualFile } from "./vfs.ts";
import type { WriteBackReport } from "./write_back_report.ts";

/** Applies `plan` to the host directory `root`, recording every outcome in `report`. */
export async function applyWriteBack(fs: HostFileSystem, root: string, plan: WriteBackPlan, report: WriteBackReport): Promise<void> {
  const puts = plan.creates.filter((op) => op.op === "put");
  const staged = new Map<WriteBackOp, string>();
  let staging: string | undefined;
  try {
    if (puts.length > 0) {
      staging = await makeStagingDir(fs, root);
      for (const op of puts) {
        const path = joinHost(staging, String(staged.size));
        if (op.node instanceof VirtualFile) {
          await fs.createFile(path, op.node.contents());
          // A replaced file keeps its permission bits (a script stays executable).
          if (op.expect?.kind === "file") await fs.chmod(path, op.expect.info.mode);
        } else {
          await fs.symlink(op.node.target, path);
        }
        staged.set(op, path);
      }
    }
  } catch (err) {
    if (staging !== undefined) await fs.remove(staging, { recursive: true }).catch(() => undefined);
    const reason = `staging the new contents in ${root} failed (${messageOf(err)}); nothing was written`;
    for (const op of [...plan.deletes, ...plan.creates]) report.failed.push({ path: op.rel, reason });
    return;
  }

  try {
    for (const op of plan.deletes) await applyOne(fs, root, plan, op, report, undefined);
    for (const op of plan.creates) await applyOne(fs, root, plan, op, report, staged.get(op));
  } finally {
    if (staging !== undefined) {
      await fs.remove(staging, { recursive: true }).catch((err) => {
        report.failed.push({ path: staging!.slice(root.length + 1), reason: `could not remove the staging directory: ${messageOf(err)}` });
      });
    }
  }
}

async function applyOne(
  fs: HostFileSystem,
  root: string,
  plan: WriteBackPlan,
  op: WriteBackOp,
  report: WriteBackReport,
  staged: string | undefined,
): Promise<void> {
  const host = joinHost(root, op.rel);
  const action = op.op === "delete" ? "delete" : op.op === "mkdir" ? "mkdir" : op.node instanceof VirtualFile ? "write" : "symlink";
  try {
    const parent = op.rel.includes("/") ? op.rel.slice(0, op.rel.lastIndexOf("/")) : "";
    if (!(await sameDirectory(fs, parent === "" ? root : joinHost(root, parent), plan.dirs.get(parent)))) {
      report.failed.push({ path: op.rel, reason: `not applied: its directory ${parent || "."} is not the one planned (not created, or replaced during write-back)` });
      return;
    }
    const now = await lstatOrUndefined(fs, host);
    const expect = op.op === "mkdir" ? undefined : op.expect;
    if (expect ? !now || !sameHostEntry(now, expect.info) : now !== undefined) {
      if (op.op === "delete" && !now) return; // someone else deleted it meanwhile: the result is the same
      report.conflicts.push({ path: op.rel, reason: `changed on the host during write-back; the host's entry kept, ${action} not applied` });
      return;
    }
    if (op.op === "delete") {
      if (expect!.kind === "dir") await fs.removeEmptyDir(host);
      else await fs.remove(host);
    } else if (op.op === "mkdir") {
      await fs.mkdir(host);
      const made = await fs.lstat(host);
      plan.dirs.set(op.rel, { dev: made.dev, ino: made.ino });
    } else {
      // rename replaces the entry itself (never what a symlink there points at) in one step.
      await fs.rename(staged!, host);
    }
    report.applied.push({ path: op.rel, action });
  } catch (err) {
    report.failed.push({ path: op.rel, reason: `${action} failed: ${messageOf(err)}` });
  }
}

/** True when `path` is still the directory with identity `want`. */
async function sameDirectory(fs: HostFileSystem, path: string, want: { dev: number; ino: number } | undefined): Promise<boolean> {
  if (!want) return false;
  const info = await lstatOrUndefined(fs, path);
  return info !== undefined && info.kind === "dir" && info.dev === want.dev && info.ino === want.ino;
}

/** A fresh directory for staged entries; its random name cannot collide with anything a guest planned. */
async function makeStagingDir(fs: HostFileSystem, root: string): Promise<string> {
  for (let attempt = 0; ; attempt++) {
    const bytes = crypto.getRandomValues(new Uint8Array(8));
    const name = `.wasm-sandbox-staging-${Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("")}`;
    const path = joinHost(root, name);
    try {
      await fs.mkdir(path);
      return path;
    } catch (err) {
      if (attempt >= 3) throw err;
    }
  }
}

async function lstatOrUndefined(fs: HostFileSystem, path: string): Promise<HostFileInfo | undefined> {
  try {
    return await fs.lstat(path);
  } catch (err) {
    if ((err as { name?: string }).name === "HostNotFoundError") return undefined;
    throw err;
  }
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
