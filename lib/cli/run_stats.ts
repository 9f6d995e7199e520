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
}

/** Builds the summary from a sandbox's statistics. */
export function runStats(stats: SandboxStats, wallTimeMs: number, exitCode: number | undefined): RunStats {
  return {
    wallTimeMs: Math.round(wallTimeMs * 1000) / 1000,
    exitCode,
    memoryPeakBytes: stats.memoryPeakBytes,
    hostCalls: stats.hostCalls,
    deniedHostCalls: stats.deniedHostCalls,
    fuelConsumed: stats.fuelRemaining === undefined ? undefined : stats.fuelConsumed.toString(),
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
  return lines.map((l) => `[stats] ${l}\n`).join("");
}
