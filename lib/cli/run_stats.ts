/**
 * What `run --stats` and `--stats-json` report.
 *
 * @module
 */
import type { SandboxStats } from "../sandbox/types.ts";

/** The run summary. */
export interface RunStats {
  wallTimeMs: number;
  exitCode: number | undefined;
  memoryPeakBytes: number;
  hostCalls: number;
  deniedHostCalls: number;
  fuelConsumed: string | undefined;
  /**
   * With `--audit`: the chain's head after the run. With `--deterministic`
   * it is a receipt — the same on every runtime and every run of the same
   * plugin, input, fuel and grants (docs/AUDIT.md).
   */
  auditHead?: { seq: number; hash: string };
}

/** Builds the summary from a sandbox's statistics. */
export function runStats(
  stats: SandboxStats,
  wallTimeMs: number,
  exitCode: number | undefined,
  auditHead?: { seq: number; hash: string },
): RunStats {
  return {
    wallTimeMs: Math.round(wallTimeMs * 1000) / 1000,
    exitCode,
    memoryPeakBytes: stats.memoryPeakBytes,
    hostCalls: stats.hostCalls,
    deniedHostCalls: stats.deniedHostCalls,
    fuelConsumed: stats.fuelRemaining === undefined ? undefined : stats.fuelConsumed.toString(),
    ...(auditHead === undefined ? {} : { auditHead: { seq: auditHead.seq, hash: auditHead.hash } }),
  };
}

/** A short human summary, one fact per line. */
export function formatRunStats(stats: RunStats): string {
  const lines = [
    `wall time:    ${stats.wallTimeMs.toFixed(1)} ms`,
    `memory peak:  ${(stats.memoryPeakBytes / 1024).toFixed(0)} KiB`,
    `host calls:   ${stats.hostCalls} (${stats.deniedHostCalls} denied)`,
  ];
  if (stats.fuelConsumed !== undefined) lines.push(`fuel used:    ${stats.fuelConsumed}`);
  if (stats.exitCode !== undefined) lines.push(`exit code:    ${stats.exitCode}`);
  if (stats.auditHead !== undefined) lines.push(`audit head:   ${stats.auditHead.hash} (record ${stats.auditHead.seq})`);
  return lines.map((l) => `[stats] ${l}\n`).join("");
}
