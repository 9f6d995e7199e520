/**
 * What `HostMount.writeBack()` did and did not do: every change the guest
 * made ends in exactly one list, so nothing is dropped without a word.
 *
 * @module
 */

/** One host path (relative to the mount root) and why it is listed. */
export interface WriteBackIssue {
  path: string;
  reason: string;
}

/** A change made on the host. */
export interface WriteBackChange {
  path: string;
  action: "write" | "mkdir" | "symlink" | "delete";
}

/** The outcome of one write-back. Paths are relative to the mount root, `/`-separated ("." is the root). */
export interface WriteBackReport {
  /** Changes made on the host, in the order they were made. */
  applied: WriteBackChange[];
  /**
   * Host entries the mount skipped at load time (FIFOs, sockets, devices,
   * outward symlinks) that the guest's changes would have removed, and the
   * directories kept because they still hold such entries.
   */
  skipped: WriteBackIssue[];
  /**
   * Entries changed, created or deleted on the host during the run (by any
   * process) where the guest changed something too: the host's state is kept
   * and the guest's change is not written.
   */
  conflicts: WriteBackIssue[];
  /** Guest changes refused: symlinks that would lead outside the mount, paths the host cannot hold. */
  refused: WriteBackIssue[];
  /** Changes that failed on the host (its error in the reason); not applied. */
  failed: WriteBackIssue[];
}

/** A fresh, empty report. */
export function emptyWriteBackReport(): WriteBackReport {
  return { applied: [], skipped: [], conflicts: [], refused: [], failed: [] };
}

/** True when every change the guest made is on the host: nothing skipped, in conflict, refused or failed. */
export function writeBackComplete(report: WriteBackReport): boolean {
  return report.skipped.length + report.conflicts.length + report.refused.length + report.failed.length === 0;
}

/**
 * Human-readable lines for what was not applied (empty when complete), each
 * naming `label` (e.g. the host directory).
 *
 * @example
 * ```ts
 * const report = await mount.writeBack();
 * for (const line of formatWriteBackReport(report, mount.hostPath)) console.error(line);
 * ```
 */
export function formatWriteBackReport(report: WriteBackReport, label: string): string[] {
  const lines: string[] = [];
  const add = (kind: string, issues: WriteBackIssue[]) => {
    for (const { path, reason } of issues) lines.push(`write-back ${label}: ${kind} ${path}: ${reason}`);
  };
  add("kept", report.skipped);
  add("conflict", report.conflicts);
  add("refused", report.refused);
  add("failed", report.failed);
  return lines;
}
