// The shape of bench/results/latest.json: one section per runtime, each with
// the machine, the date, the commit and every bench file's recorded figures.
// bench/run.ts writes it; bench/report.ts reads it.
import type { BenchFileResult, RuntimeInfo } from "./_results.ts";

/** Version of the file's layout; bumped when a reader could misread an older one. */
export const REPORT_SCHEMA = 1;

/** The machine the figures come from (node:os, which Deno provides too). */
export interface MachineInfo {
  cpu: string;
  cores: number;
  memoryBytes: number;
  os: string;
}

/** One bench file's figures, as bench/run.ts collected them. */
export interface BenchFileOutcome extends Omit<BenchFileResult, "runtime" | "quick" | "file"> {
  file: string;
  status: "ok" | "failed";
  /** Why the process failed (exit status or spawn error). */
  error?: string;
  /** Wall-clock time of the whole process, compiling and setting up included. */
  seconds: number;
  /** The machine's 1-minute load average before and after the file ran (absent in older files). */
  load1m?: [number, number];
}

/** Everything one runtime's pass measured. */
export interface RuntimeSection {
  runtime: RuntimeInfo;
  machine: MachineInfo;
  /** ISO date of the end of the pass (updated after every file). */
  date: string;
  commit: string;
  /** Whether tracked files differed from the commit while measuring. */
  dirty: boolean;
  /** The command that produced the figures. */
  command: string;
  quick: boolean;
  /** File-name filters of the run; empty for the full set. */
  filters: string[];
  /** Files in bench/ that record no figures (tools run by hand), not run. */
  manual: string[];
  /** False while the pass is still running or when it was interrupted. */
  complete: boolean;
  seconds: number;
  files: Record<string, BenchFileOutcome>;
}

/** The whole results file. */
export interface BenchReport {
  schema: number;
  runtimes: Partial<Record<RuntimeInfo["name"], RuntimeSection>>;
}

export function emptyReport(): BenchReport {
  return { schema: REPORT_SCHEMA, runtimes: {} };
}

/** Parses a results file, refusing one of another layout instead of misreading it. */
export function parseReport(text: string): BenchReport {
  const parsed = JSON.parse(text) as Partial<BenchReport>;
  if (parsed.schema !== REPORT_SCHEMA) throw new Error(`schema ${String(parsed.schema)}, expected ${REPORT_SCHEMA}`);
  if (typeof parsed.runtimes !== "object" || parsed.runtimes === null) throw new Error("no runtimes");
  return parsed as BenchReport;
}

/** Whether a section covers less than the full set (filters, or an interrupted pass). */
export function isPartial(section: RuntimeSection): boolean {
  return section.filters.length > 0 || !section.complete;
}
