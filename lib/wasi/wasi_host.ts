/**
 * The WASI preview1 host for one guest instance: argv, environment, captured
 * stdio, preopened virtual directories under a byte quota, and injectable
 * clocks and randomness.
 *
 * @module
 */
import { SandboxError } from "../errors.ts";
import { GuestMemory } from "../memory/guest_memory.ts";
import { AbiMemory } from "./_abi_memory.ts";
import { defs, WASIProcExit } from "./_defs.ts";
import { WasiErrno } from "./_errno.ts";
import { blockingSleep, systemClock, systemRandom } from "./clocks.ts";
import type { RandomSource, WasiClock } from "./clocks.ts";
import { FsContext } from "./fs_context.ts";
import { assertDisjointPreopens } from "./mount_overlap.ts";
import { VirtualFs } from "./fs_ops.ts";
import { DIR_RIGHTS, FdTable, FILE_RIGHTS, STDIO_RIGHTS } from "./handles.ts";
import { fdImports } from "./imports_fd.ts";
import { pathImports } from "./imports_path.ts";
import { processImports } from "./imports_process.ts";
import { pollImports } from "./poll.ts";
import { OutputSink } from "./stdio.ts";
import type { OutputOptions } from "./stdio.ts";
import { treeBytes } from "./vfs.ts";
import type { VirtualDirectory, VirtualNode } from "./vfs.ts";
import type { WasiFunction, WasiState } from "./wasi_state.ts";

/** A directory the guest sees at `guestPath`. */
export interface Preopen {
  /** The name the guest finds with `fd_prestat_dir_name`, e.g. `/data` or `.`. */
  guestPath: string;
  dir: VirtualDirectory;
}

/** Everything a {@linkcode WasiHost} is built from. */
export interface WasiHostOptions {
  /** argv including argv[0]. */
  args?: readonly string[];
  /** The guest's whole environment; the host's own is never passed. */
  env?: Readonly<Record<string, string>>;
  stdin?: Uint8Array;
  stdout?: OutputOptions;
  stderr?: OutputOptions;
  preopens?: readonly Preopen[];
  /** Total bytes the virtual filesystem may hold (default 64 MiB). */
  fsQuotaBytes?: number;
  clock?: WasiClock;
  random?: RandomSource;
  /**
   * Total time the guest may spend sleeping in `poll_oneoff` (default 60 s);
   * a longer sleep ends the run with `SandboxError("Timeout")` instead of
   * blocking the thread.
   */
  maxSleepMs?: number;
  /**
   * Sleep without holding the thread: `poll_oneoff` on a clock answers with
   * a Promise that settles when the time has passed (the caller must be able
   * to wait for it: the sandbox's JSPI and worker modes). Default false: the
   * thread blocks, as a standalone WASI host does.
   */
  asyncSleep?: boolean;
}

const DEFAULT_OUTPUT_BYTES = 1 << 20;
const DEFAULT_QUOTA_BYTES = 64 << 20;
const encoder = new TextEncoder();

/**
 * A WASI preview1 implementation over a virtual filesystem.
 *
 * @example
 * ```ts
 * const wasi = new WasiHost({ args: ["prog.wasm"], preopens: [{ guestPath: "/data", dir: memoryTree({ "a.txt": "hi" }) }] });
 * const { instance } = await WebAssembly.instantiate(bytes, { wasi_snapshot_preview1: wasi.imports });
 * wasi.bindMemory(() => instance.exports.memory as WebAssembly.Memory);
 * const exitCode = wasi.runStart(instance);
 * ```
 */
export class WasiHost {
  /** The `wasi_snapshot_preview1` import object: plain functions, wrappable by name. */
  readonly imports: Record<string, (...args: never[]) => number>;
  readonly #stdout: OutputSink;
  readonly #stderr: OutputSink;
  readonly #fds: FdTable;
  #memory: () => WebAssembly.Memory | undefined = () => undefined;
  readonly #abi = new AbiMemory(new GuestMemory(() => this.#memory()));
  #sleptNs = 0n;

  constructor(options: WasiHostOptions = {}) {
    const args = (options.args ?? []).map((arg) => encodeCString(arg, "argument"));
    const env = Object.entries(options.env ?? {}).map(([key, value]) => {
      if (key.length === 0 || key.includes("=")) {
        throw new SandboxError("InvalidArgument", `environment variable name ${JSON.stringify(key)} is empty or has '='`);
      }
      return encodeCString(`${key}=${value}`, "environment variable");
    });
    this.#stdout = new OutputSink(options.stdout ?? { maxBytes: DEFAULT_OUTPUT_BYTES });
    this.#stderr = new OutputSink(options.stderr ?? { maxBytes: DEFAULT_OUTPUT_BYTES });
    const clock = options.clock ?? systemClock();
    const ctx = new FsContext(options.fsQuotaBytes ?? DEFAULT_QUOTA_BYTES, clock);
    assertDisjointPreopens(options.preopens ?? []); // two mounts of one host directory would write back over each other
    const seen = new Set<VirtualNode>();
    for (const preopen of options.preopens ?? []) ctx.usedBytes += treeBytes(preopen.dir, seen);
    if (ctx.usedBytes > ctx.quotaBytes) {
      throw new SandboxError(
        "MemoryLimit",
        `preopened trees hold ${ctx.usedBytes} bytes, over the filesystem quota of ${ctx.quotaBytes}; raise fsQuotaBytes`,
      );
    }
    const fs = new VirtualFs(ctx);
    const fds = this.#fds = new FdTable((node) => fs.release(node));
    fds.add({ kind: "stdin", data: options.stdin ?? new Uint8Array(0), position: 0, ...stdioRights() });
    fds.add({ kind: "output", sink: this.#stdout, ...stdioRights() });
    fds.add({ kind: "output", sink: this.#stderr, ...stdioRights() });
    for (const { guestPath, dir } of options.preopens ?? []) {
      fds.add({
        kind: "dir",
        node: dir,
        preopenName: guestPath,
        rightsBase: DIR_RIGHTS,
        rightsInheriting: DIR_RIGHTS | FILE_RIGHTS,
        fdflags: 0,
      });
    }
    const maxSleepMs = options.maxSleepMs ?? 60_000;
    const maxSleepNs = Number.isFinite(maxSleepMs) ? BigInt(Math.max(0, Math.floor(maxSleepMs))) * 1_000_000n : 2n ** 64n;
    const state: WasiState = {
      memory: this.#abi,
      fds,
      fs,
      args,
      env,
      clock,
      random: options.random ?? systemRandom(),
      sleep: (ns) => {
        if (ns <= 0n) return;
        if (this.#sleptNs + ns > maxSleepNs) {
          throw new SandboxError("Timeout", `the guest asked to sleep past its ${maxSleepMs} ms budget`);
        }
        this.#sleptNs += ns;
        const ms = Math.ceil(Number(ns) / 1e6);
        if (clock.advanceNs !== undefined) clock.advanceNs(ns);
        else if (options.asyncSleep === true) return new Promise<void>((resolve) => setTimeout(resolve, ms));
        else blockingSleep(ms);
      },
    };
    const raw: Record<string, WasiFunction> = {
      ...processImports(state),
      ...fdImports(state),
      ...pathImports(state),
      ...pollImports(state),
    };
    this.imports = Object.fromEntries(Object.entries(raw).map(([name, fn]) => [name, guard(fn)]));
  }

  /**
   * What the descriptor `fd` reaches: `"stdio"` for stdin/stdout/stderr
   * (wherever they were renumbered to), `"fs"` for files and directories,
   * undefined when it is not open (the call then answers BADF). The
   * capability check of fd functions is chosen from this, per call.
   */
  fdArea(fd: number): "stdio" | "fs" | undefined {
    const handle = this.#fds.peek(fd);
    if (handle === undefined) return undefined;
    return handle.kind === "file" || handle.kind === "dir" ? "fs" : "stdio";
  }

  /**
   * Tells the host where the guest's memory is: a function called again on
   * every access (so grows are seen), or the sandbox's own
   * {@linkcode GuestMemory}, whose byte counts then include WASI's.
   */
  bindMemory(memory: GuestMemory | (() => WebAssembly.Memory | undefined)): void {
    if (memory instanceof GuestMemory) {
      this.#abi.use(memory);
      this.#memory = () => memory.memoryObject;
    } else {
      this.#memory = memory;
    }
  }

  /**
   * Runs a command module's `_start`. Returns the exit code (0 when `_start`
   * returns, the `proc_exit` code otherwise) and rethrows traps unchanged.
   */
  runStart(instance: WebAssembly.Instance): number {
    const start = instance.exports._start;
    if (typeof start !== "function") {
      throw new SandboxError("NotFound", "the module exports no _start function; is it a WASI command?");
    }
    if (this.#memory() === undefined && instance.exports.memory instanceof WebAssembly.Memory) {
      const memory = instance.exports.memory;
      this.#memory = () => memory;
    }
    try {
      (start as () => unknown)();
      return 0;
    } catch (err) {
      if (err instanceof WASIProcExit) return err.code;
      throw err;
    }
  }

  /** Everything the guest wrote to stdout (up to the cap). */
  stdoutBytes(): Uint8Array {
    return this.#stdout.bytes();
  }

  /** Everything the guest wrote to stderr (up to the cap). */
  stderrBytes(): Uint8Array {
    return this.#stderr.bytes();
  }

  /** True when stdout or stderr went over its cap and output was dropped. */
  get outputTruncated(): boolean {
    return this.#stdout.truncated || this.#stderr.truncated;
  }

  /** The outcome of a command that ended with `exitCode`: what it wrote, and whether any was cut. */
  commandResult(exitCode: number): CommandResult {
    return {
      exitCode,
      stdout: this.#stdout.bytes(),
      stderr: this.#stderr.bytes(),
      stdoutTruncated: this.#stdout.truncated,
      stderrTruncated: this.#stderr.truncated,
    };
  }
}

/** The exit code when `err` is the unwind of WASI `proc_exit`, else undefined. */
export function exitCodeOf(err: unknown): number | undefined {
  return err instanceof WASIProcExit ? err.code : undefined;
}

/** How a command ended: its exit code and its output (as captured, within the cap). */
export interface CommandResult {
  exitCode: number;
  stdout: Uint8Array;
  stderr: Uint8Array;
  /** True when the guest wrote more to stdout than the cap let through (the rest was dropped). */
  stdoutTruncated: boolean;
  /** The same for stderr. */
  stderrTruncated: boolean;
}

/**
 * Runs `_start` of a command that imports no WASI at all (hand-written WAT,
 * freestanding toolchains): exit code 0 when it returns, traps rethrown; it
 * had no way to write output.
 */
export function runStartWithoutWasi(instance: WebAssembly.Instance): CommandResult {
  const start = instance.exports._start;
  if (typeof start !== "function") throw new SandboxError("NotFound", "the module exports no _start function");
  (start as () => unknown)();
  return { exitCode: 0, stdout: new Uint8Array(0), stderr: new Uint8Array(0), stdoutTruncated: false, stderrTruncated: false };
}

function stdioRights() {
  return { rightsBase: STDIO_RIGHTS, rightsInheriting: 0n, fdflags: 0 };
}

/** A UTF-16 surrogate without its partner: it has no UTF-8 encoding. */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

function encodeCString(text: string, what: string): Uint8Array {
  if (text.includes("\0")) throw new SandboxError("InvalidArgument", `${what} ${JSON.stringify(text)} contains a NUL`);
  // TextEncoder would silently replace a lone surrogate; the guest must get exactly what the host meant.
  if (LONE_SURROGATE.test(text)) {
    throw new SandboxError("InvalidArgument", `${what} ${JSON.stringify(text)} is not valid Unicode (a lone surrogate), so it has no UTF-8 form`);
  }
  return encoder.encode(text);
}

/**
 * Turns a host function into one that returns an errno for every guest
 * mistake: `WasiErrno` becomes its code, `proc_exit` and sandbox errors
 * (Timeout) unwind the guest, anything else is an I/O error for the guest.
 */
function guard(fn: WasiFunction): (...args: never[]) => number {
  const call = fn as (...args: unknown[]) => number | void | Promise<number | void>;
  const errnoOf = (err: unknown): number => {
    if (err instanceof WasiErrno) return err.errno;
    if (err instanceof WASIProcExit || err instanceof SandboxError) throw err;
    return defs.ERRNO_IO;
  };
  return ((...args: never[]) => {
    try {
      const result = call(...args);
      // poll_oneoff with `asyncSleep` answers once the time has passed.
      if (result instanceof Promise) return result.then((errno) => errno ?? defs.ERRNO_SUCCESS, errnoOf);
      return result ?? defs.ERRNO_SUCCESS;
    } catch (err) {
      return errnoOf(err);
    }
  }) as (...args: never[]) => number;
}
