/**
 * Runs one already-approved invocation: stdin written, stdout and stderr
 * drained concurrently (so a full pipe never deadlocks the child) and capped
 * as they stream, the whole process tree killed at the deadline.
 *
 * @module
 */
import { concatBytes } from "../memory/concat_bytes.ts";
import type { ByteSource, CommandRunner, ExitStatus, SpawnedCommand, SpawnSpec } from "./command_runner.ts";

/** Bounds for one run. */
export interface RunLimits {
  timeoutMs: number;
  /** Cap on each of stdout and stderr. */
  maxOutputBytes: number;
  stdin?: Uint8Array;
}

/** What one run produced. */
export interface ProcessResult {
  exitCode: number | null;
  signal: string | null;
  stdout: Uint8Array;
  stderr: Uint8Array;
  stdoutTruncated: boolean;
  stderrTruncated: boolean;
  timedOut: boolean;
  durationMs: number;
  /** Set when the command could not be started or did not die. */
  error?: string;
  stdinError?: string;
}

/** After the child exits, how long descendants that inherited a pipe may keep it open. */
const DRAIN_GRACE_MS = 250;
/** After SIGKILL, how long to wait for the exit status before giving up on the child. */
const KILL_WAIT_MS = 2000;

interface Drained {
  bytes: Uint8Array;
  truncated: boolean;
}

/**
 * Reads `source` until EOF, keeping at most `cap` bytes. At the cap our end
 * of the pipe is closed: the writer gets SIGPIPE/EPIPE instead of flooding
 * us, and memory never holds more than the cap plus the chunk being read.
 */
async function drain(source: ByteSource, cap: number): Promise<Drained> {
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const chunk = await source.read();
    if (chunk === null) return { bytes: concatBytes(chunks), truncated: false };
    if (total + chunk.byteLength > cap) {
      chunks.push(chunk.subarray(0, cap - total));
      source.cancel();
      return { bytes: concatBytes(chunks), truncated: true };
    }
    chunks.push(chunk);
    total += chunk.byteLength;
  }
}

function sleep(ms: number): { promise: Promise<void>; cancel(): void } {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const promise = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, ms);
  });
  return { promise, cancel: () => clearTimeout(timer) };
}

function elapsed(start: number): number {
  return Math.round((performance.now() - start) * 1000) / 1000;
}

function message(err: unknown): string {
  return String(err instanceof Error ? err.message : err).slice(0, 1024);
}

/**
 * Runs `spec` under `limits`. Never rejects: failures come back in `error`.
 * Whatever happens, the process tree has been sent SIGKILL when this returns,
 * so nothing it started is left running (within the containment the spec's
 * wrapper provides: a PID namespace catches everything, a process group
 * catches what did not call setsid).
 */
export async function runProcess(runner: CommandRunner, spec: SpawnSpec, limits: RunLimits): Promise<ProcessResult> {
  const start = performance.now();
  let child: SpawnedCommand;
  try {
    child = await runner.spawn(spec);
  } catch (err) {
    return {
      exitCode: null, signal: null, stdout: new Uint8Array(), stderr: new Uint8Array(),
      stdoutTruncated: false, stderrTruncated: false, timedOut: false, durationMs: elapsed(start),
      error: `could not start ${spec.path}: ${message(err)}`,
    };
  }

  let timedOut = false;
  const deadline = setTimeout(() => {
    timedOut = true;
    child.killTree();
  }, limits.timeoutMs);

  const stdout = drain(child.stdout, limits.maxOutputBytes);
  const stderr = drain(child.stderr, limits.maxOutputBytes);
  let stdinError: string | undefined;
  const stdin = child.stdin.writeAndClose(limits.stdin ?? new Uint8Array()).catch((err) => {
    stdinError = `stdin not fully written: ${message(err)}`;
  });

  // The timer above guarantees a SIGKILL; this bounds the wait if even that fails.
  const hardStop = sleep(limits.timeoutMs + KILL_WAIT_MS);
  const status = await Promise.race([child.status, hardStop.promise.then(() => undefined)]);
  hardStop.cancel();
  clearTimeout(deadline);
  const durationMs = elapsed(start);
  // Descendants die with the command: nothing it started outlives it.
  child.killTree();

  const grace = sleep(DRAIN_GRACE_MS);
  const drained = await Promise.race([Promise.all([stdout, stderr]), grace.promise.then(() => undefined)]);
  grace.cancel();
  if (drained === undefined) {
    child.stdout.cancel();
    child.stderr.cancel();
  }
  const [out, err] = drained ?? (await Promise.all([stdout, stderr]));
  await Promise.race([stdin, sleep(0).promise]);

  const result: ProcessResult = {
    exitCode: status?.code ?? null,
    signal: status?.signal ?? null,
    stdout: out.bytes,
    stderr: err.bytes,
    stdoutTruncated: out.truncated,
    stderrTruncated: err.truncated,
    timedOut,
    durationMs,
  };
  if (status === undefined) result.error = "the command did not exit after SIGKILL";
  if (stdinError !== undefined) result.stdinError = stdinError;
  return result;
}

/** Exit status of a short helper command (used by probes), or `undefined` when it could not start. */
export async function runQuietly(
  runner: CommandRunner,
  spec: SpawnSpec,
  timeoutMs: number,
): Promise<ExitStatus | undefined> {
  const result = await runProcess(runner, spec, { timeoutMs, maxOutputBytes: 4096 });
  if (result.error !== undefined) return undefined;
  return { code: result.exitCode, signal: result.signal };
}
