/**
 * An isolated sandbox for one plugin: its state machine, fuel ledger,
 * counters, response slot and statistics, kept once whatever runs the guest.
 * The guest runs in a {@linkcode GuestEngine}: on this thread (synchronous
 * calls; or, where the runtime has JSPI, suspending on async host functions),
 * or inside a worker ({@linkcode WorkerExecutor}) whose host calls are
 * answered here. Host functions, capability checks and audit records are the
 * same in every mode: they always run on the host thread (docs/ISOLATION.md).
 *
 * @module
 */
import { SandboxError } from "../errors.ts";
import type { PreparedModule } from "../module/prepare.ts";
import { abiErrorConvention, linkHostFunctions } from "../host/bridge.ts";
import type { HostCallRecorder, LinkableNamespace } from "../host/bridge.ts";
import type { CapabilitySet } from "../host/capabilities.ts";
import type { GuestLogGate } from "../host/guest_logger.ts";
import type { ExecState } from "../exec/state.ts";
import { GuestControl } from "../host/guest_control.ts";
import { ResponseSlot } from "../host/response_slot.ts";
import { sandboxNamespace } from "../host/sandbox_namespace.ts";
import { readAssemblyScriptString } from "../memory/assemblyscript_strings.ts";
import { GuestMemory } from "../memory/guest_memory.ts";
import type { PluginInfo, SandboxStats } from "./types.ts";
import { SandboxState, SandboxStateMachine } from "./state.ts";
import { mapGuestError, TrapReason } from "./trap_mapping.ts";
import { START_EXPORT } from "../fuel/instrument.ts";
import { exitCodeOf } from "../wasi/mod.ts";
import type { CommandResult } from "../wasi/mod.ts";
import type { SandboxValue } from "./values.ts";
import { GuestEngine } from "./engine.ts";
import type { Invocation, Outcome } from "./engine.ts";
import { channelSignature } from "./host_call_channel.ts";
import { WorkerExecutor } from "./worker_executor.ts";
import { importMemoriesAsShared } from "../wasm/shared_memory_import.ts";

/** Per-instance pieces supplied by the runtime: host namespaces and the WASI session. */
export interface InstanceEnvironment {
  /** Namespaces beyond the always-linked `sandbox` one, with their error conventions. */
  namespaces: LinkableNamespace[];
  /** Extra non-function imports (memories, etc.) keyed by namespace and name. */
  extraImports?: Record<string, Record<string, WebAssembly.ExportValue>>;
  /** Called once the guest's memory is reachable (WASI binds to it here). */
  onInstance?(memory: GuestMemory): void;
  /** What a command that ended with `exitCode` produced (WASI: its captured output). */
  commandResult?(exitCode: number): RunResult;
}

/** Where a plugin's guest code runs (`plugin.info().mode`). */
export type ExecutionMode = "in-process" | "jspi" | "worker";

/** What the runtime hands a new sandbox. */
export interface SandboxInit {
  id: string;
  origin: string;
  prepared: PreparedModule;
  capabilities: CapabilitySet;
  linkDeniedAsStubs: boolean;
  recorder: HostCallRecorder | undefined;
  /** Builds a fresh environment for each instance (at load and at every reset). */
  environment(memory: GuestMemory, slot: ResponseSlot): InstanceEnvironment;
  /** The fuel budget, when the module is metered. */
  fuel: bigint | undefined;
  /** Fuel per byte a host call moves (default: the cost table's `bulkPerUnit`; docs/FUEL.md). */
  hostFuelPerByte?: number;
  /** Where audit records get their time (deterministic mode); see `LinkOptions.recordTime`. */
  recordTime?: () => number;
  /** Measure each host call's end time and duration for its audit record (`SandboxConfig.auditDurations`). */
  auditDurations?: boolean;
  /** The sandbox's `sandbox_exec` execution counter. */
  execState: ExecState;
  /** The sandbox's log rate limiter (its drop count shows in stats). */
  logGate: GuestLogGate;
  /** Told about every call and trap, for runtime-wide statistics. */
  onEvent?(event: "call" | "trap"): void;
  /**
   * Where the guest runs: `"worker"` forces a worker; `"in-process"` refuses
   * a plugin that needs async host functions where the runtime has no JSPI;
   * undefined picks: in-process, with JSPI when async host functions are
   * imported, and a worker where JSPI is missing or a timeout is set.
   */
  isolation: "in-process" | "worker" | undefined;
  /** Wall-clock limit of each call (worker mode), in ms. */
  timeoutMs: number | undefined;
}

/**
 * The outcome of running a command: exit code, captured output, and whether output was cut at the cap.
 *
 * @example
 * ```ts
 * const { exitCode, stdout, stdoutTruncated } = await plugin.run();
 * console.log(exitCode, new TextDecoder().decode(stdout), stdoutTruncated ? "(cut at maxOutputBytes)" : "");
 * ```
 */
export type RunResult = CommandResult;

/**
 * Options of one call.
 *
 * @example
 * ```ts
 * // This call may spend at most 1 000 000 fuel, whatever the sandbox's own budget.
 * const result = await plugin.callWith({ fuel: 1_000_000n }, "work", 42);
 * ```
 */
export interface CallOptions {
  /** This call's own fuel budget (the sandbox's budget is left untouched). */
  fuel?: bigint;
}

/**
 * Bounds-checked helpers over the plugin's memory, for the host: a pointer
 * or length outside the memory is an `InvalidArgument` error, never a read
 * of something else.
 *
 * @example
 * ```ts
 * const ptr = plugin.callSync("buffer") as number;
 * plugin.memory.writeUtf8(ptr, "hello");
 * console.log(plugin.memory.readUtf8(ptr, 5));
 * ```
 */
export interface PluginMemory {
  readonly byteLength: number;
  read(ptr: number, len: number): Uint8Array;
  write(ptr: number, data: Uint8Array): void;
  readUtf8(ptr: number, len: number): string;
  writeUtf8(ptr: number, text: string): number;
  /** Reads an AssemblyScript `String` object (the @assemblyscript/loader layout). */
  readAssemblyScriptString(ptr: number): string;
}

/** Default wall-clock limit of a worker-isolated call. */
export const DEFAULT_TIMEOUT_MS = 30_000;
/** setTimeout's largest delay. */
const MAX_TIMER_MS = 2 ** 31 - 1;

type GuestFunction = (...args: unknown[]) => unknown;

interface JspiApi {
  Suspending: new (fn: GuestFunction) => unknown;
  promising(fn: GuestFunction): GuestFunction;
}

/** JSPI, where the engine has it (Node ≥ 24.20 and Deno ≥ 2.3.2 by default). */
const jspi: JspiApi | undefined = (() => {
  const api = WebAssembly as unknown as Partial<JspiApi>;
  return typeof api.Suspending === "function" && typeof api.promising === "function" ? api as JspiApi : undefined;
})();

/** True when this runtime can suspend a wasm call on a Promise (JSPI). */
export function hasJspi(): boolean {
  return jspi !== undefined;
}

/**
 * An isolated sandbox for a single plugin. Obtain one from `WasmSandboxRuntime.loadPlugin`.
 *
 * @example
 * ```ts
 * import { isSandboxError, WasmSandboxRuntime } from "wasm-sandbox";
 *
 * const runtime = new WasmSandboxRuntime({ fuel: 10_000_000n });
 * const plugin = await runtime.loadPlugin("adder", "./adder.wasm");
 * console.log(plugin.callSync("add", 2, 3)); // 5
 * try {
 *   await plugin.call("spin");
 * } catch (err) {
 *   if (isSandboxError(err, "OutOfFuel")) await plugin.reset(); // Trapped until reset
 * }
 * console.log(plugin.state, plugin.stats().fuelConsumed);
 * ```
 */
export class PluginSandbox {
  readonly id: string;
  readonly #init: SandboxInit;
  readonly #machine: SandboxStateMachine;
  readonly #slot = new ResponseSlot();
  readonly #guestMemory: GuestMemory;
  readonly #loadedAt = new Date();
  #mode: ExecutionMode = "in-process";
  #engine: GuestEngine | undefined;
  #worker: WorkerExecutor | undefined;
  #environment!: InstanceEnvironment;
  #memoryObject: WebAssembly.Memory | undefined;
  /** The current instance's fuel charges and host-imposed stop (one per instance). */
  #control = new GuestControl();
  /** When the running guest call began, in ms since the epoch (audit records' time by default). */
  #callStartedAt = 0;
  #counters = { calls: 0, traps: 0, hostCalls: 0, deniedHostCalls: 0, callTimeMs: 0, memoryPeakBytes: 0, resets: 0 };
  #fuelRemaining: bigint | undefined;
  #fuelConsumed = 0n;

  private constructor(init: SandboxInit) {
    this.id = init.id;
    this.#init = init;
    this.#machine = new SandboxStateMachine(init.id);
    this.#guestMemory = new GuestMemory(() => this.#memoryObject);
    this.#fuelRemaining = init.prepared.metered ? init.fuel ?? 0n : undefined;
  }

  /** @internal Created by the runtime: picks the execution mode, instantiates and runs the start function. */
  static async create(init: SandboxInit): Promise<PluginSandbox> {
    const sandbox = new PluginSandbox(init);
    await sandbox.#instantiate();
    await sandbox.#runStart();
    return sandbox;
  }

  /** Fuel left in the sandbox's budget; undefined when unmetered. */
  get fuelRemaining(): bigint | undefined {
    return this.#fuelRemaining;
  }

  /** Fuel consumed since load, over all calls (including per-call budgets). */
  get fuelConsumed(): bigint {
    return this.#fuelConsumed;
  }

  /** Sets the remaining budget. InvalidState when the module is not metered. */
  setFuel(fuel: bigint): void {
    this.#requireMetered();
    if (typeof fuel !== "bigint" || fuel < 0n) throw new SandboxError("InvalidArgument", "fuel must be a non-negative bigint");
    this.#fuelRemaining = fuel;
  }

  /** Adds to the remaining budget. */
  addFuel(fuel: bigint): void {
    this.#requireMetered();
    if (typeof fuel !== "bigint" || fuel < 0n) throw new SandboxError("InvalidArgument", "fuel must be a non-negative bigint");
    this.#fuelRemaining = (this.#fuelRemaining ?? 0n) + fuel;
  }

  /** The current state. */
  get state(): SandboxState {
    return this.#machine.current;
  }

  /** Where the guest runs: on this thread, on this thread with JSPI, or in a worker. */
  get mode(): ExecutionMode {
    return this.#mode;
  }

  /** Bounds-checked access to the plugin's memory. */
  get memory(): PluginMemory {
    const memory = this.#guestMemory;
    return {
      get byteLength() {
        return memory.byteLength;
      },
      read: (ptr, len) => memory.read(ptr, len),
      write: (ptr, data) => memory.write(ptr, data),
      readUtf8: (ptr, len) => memory.readUtf8(ptr, len),
      writeUtf8: (ptr, text) => memory.writeUtf8(ptr, text),
      readAssemblyScriptString: (ptr) => readAssemblyScriptString(memory, ptr),
    };
  }

  /** Calls an export synchronously, in this thread. InvalidState for plugins that run asynchronously (JSPI, worker). */
  callSync(exportName: string, ...args: SandboxValue[]): unknown {
    this.#assertSyncMode();
    return this.#runSync({ kind: "call", name: exportName, args, fuel: undefined });
  }

  /**
   * Calls an export with per-call options: `fuel` gives this call its own
   * budget instead of drawing from the sandbox's (what it uses still counts
   * in `fuelConsumed`).
   */
  callSyncWith(options: CallOptions, exportName: string, ...args: SandboxValue[]): unknown {
    this.#assertSyncMode();
    return this.#runSync({ kind: "call", name: exportName, args, fuel: options.fuel });
  }

  #assertSyncMode(): void {
    if (this.#mode !== "in-process") {
      throw new SandboxError(
        "InvalidState",
        `plugin "${this.id}" runs ${this.#mode === "worker" ? "in a worker" : "with JSPI (it imports async host functions)"}; ` +
          "call it with call(), which returns a promise",
        { pluginId: this.id },
      );
    }
  }

  /** Calls an export. Works in every mode. */
  call(exportName: string, ...args: SandboxValue[]): Promise<unknown> {
    return this.callWith({}, exportName, ...args);
  }

  /** Calls an export with per-call options (see {@linkcode callSyncWith}). */
  async callWith(options: CallOptions, exportName: string, ...args: SandboxValue[]): Promise<unknown> {
    return await this.#run({ kind: "call", name: exportName, args, fuel: options.fuel });
  }

  /**
   * Runs a command (`_start`) to its end; its `proc_exit` code is the exit
   * code (0 when `_start` returns). The sandbox is Terminated afterwards;
   * `reset()` to run again.
   */
  async run(): Promise<RunResult> {
    if (!this.#init.prepared.exports.some((e) => e.name === "_start" && e.kind === "function")) {
      throw new SandboxError("InvalidArgument", `plugin "${this.id}" is not a command: it has no _start export`, { pluginId: this.id });
    }
    let exitCode = 0;
    try {
      await this.#run({ kind: "run", name: "_start", args: [], fuel: undefined });
    } catch (err) {
      const code = exitCodeOf(err);
      if (code === undefined) throw err;
      exitCode = code;
      // proc_exit is how a command ends, not a failure: it is not counted as a trap.
      this.#counters.traps--;
    }
    this.#machine.moveTo(SandboxState.Terminated);
    return this.#environment.commandResult?.(exitCode) ?? emptyResult(exitCode);
  }

  /**
   * A fresh instance from the cached module: memory, tables, globals and WASI
   * state start over. In-process it is done when this returns; a worker is
   * ready when the promise settles.
   */
  reset(): Promise<void> {
    try {
      if (this.#machine.current === SandboxState.Running) this.#machine.assertReady("reset");
      this.#worker?.terminate();
      // The peak is otherwise read from the live memory (it only grows); the old one is about to go.
      this.#counters.memoryPeakBytes = Math.max(this.#counters.memoryPeakBytes, this.#guestMemory.byteLength);
      const started = this.#instantiate();
      const rest = () => {
        this.#machine.moveTo(SandboxState.Ready);
        this.#counters.resets++;
        return this.#runStart();
      };
      return (started instanceof Promise ? started.then(rest) : Promise.resolve(rest())).then(() => undefined);
    } catch (err) {
      return Promise.reject(err);
    }
  }

  /** Starts the `sandbox_exec` execution count (the policy's `maxExecutions`) over. */
  resetExecutionCount(): void {
    this.#init.execState.reset();
  }

  /** Marks the sandbox Terminated (used by the runtime on unload); a worker is stopped. */
  terminate(): void {
    this.#worker?.terminate();
    if (this.#machine.current !== SandboxState.Terminated) this.#machine.moveTo(SandboxState.Terminated);
  }

  info(): PluginInfo {
    const prepared = this.#init.prepared;
    return {
      id: this.id,
      hash: prepared.hash,
      origin: this.#init.origin,
      state: this.state,
      mode: this.#mode,
      exports: prepared.exports.filter((e) => e.kind === "function" && e.name !== START_EXPORT).map((e) => e.name),
      imports: prepared.imports.map((i) => `${i.module}.${i.name}`),
      capabilities: this.#init.capabilities.names(),
      isCommand: prepared.exports.some((e) => e.name === "_start" && e.kind === "function"),
      metered: prepared.metered,
      loadedAt: this.#loadedAt,
    };
  }

  stats(): SandboxStats {
    const memoryBytes = this.#guestMemory.byteLength;
    return {
      state: this.state,
      ...this.#counters,
      memoryBytes,
      memoryPeakBytes: Math.max(this.#counters.memoryPeakBytes, memoryBytes),
      fuelConsumed: this.#fuelConsumed,
      fuelRemaining: this.#fuelRemaining,
      logMessagesDropped: this.#init.logGate.dropped,
      executions: this.#init.execState.executions,
    };
  }

  /**
   * Runs the module's start function, which the rewriter exported instead of
   * leaving it to run while instantiating: here it draws on the sandbox's
   * budget like any call, and its traps are told apart (OutOfFuel,
   * StackOverflow). It runs whatever the budget: with none left, its first
   * charge traps. A failure leaves the sandbox Trapped.
   */
  #runStart(): void | Promise<unknown> {
    if (!this.#init.prepared.exports.some((e) => e.name === START_EXPORT && e.kind === "function")) return;
    const start: Invocation = { kind: "start", name: START_EXPORT, args: [], fuel: undefined };
    return this.#mode === "in-process" ? void this.#runSync(start) : this.#run(start);
  }

  /** Runs an invocation on this thread, synchronously (in-process mode). */
  #runSync(invocation: Invocation): unknown {
    const budget = this.#begin(invocation);
    const started = performance.now();
    this.#callStartedAt = performance.timeOrigin + started;
    const outcome = this.#engine!.invoke(invocation, this.#guestMemory, budget) as Outcome;
    return this.#settle(invocation, outcome, budget, started);
  }

  /** Runs an invocation in whichever mode the plugin has. */
  async #run(invocation: Invocation): Promise<unknown> {
    if (this.#mode === "in-process") return this.#runSync(invocation);
    const budget = this.#begin(invocation);
    const started = performance.now();
    this.#callStartedAt = performance.timeOrigin + started;
    const outcome = this.#worker !== undefined
      ? await this.#worker.invoke({ ...invocation, fuel: budget })
      : await this.#engine!.invoke(invocation, this.#guestMemory, budget);
    return this.#settle(invocation, outcome, budget, started);
  }

  /** Moves to Running and works out the budget the invocation runs on. */
  #begin(invocation: Invocation): bigint | undefined {
    const start = invocation.kind === "start";
    if (!start) this.#machine.assertReady(invocation.kind === "run" ? "run" : `call "${invocation.name}" on`);
    const budget = this.#fuelRemaining === undefined ? undefined : invocation.fuel ?? this.#fuelRemaining;
    if (budget !== undefined && budget <= 0n && !start) {
      throw new SandboxError("OutOfFuel", `plugin "${this.id}" has no fuel left; add some with addFuel() or pass a per-call budget`, { pluginId: this.id });
    }
    this.#machine.moveTo(SandboxState.Running);
    if (!start) {
      this.#counters.calls++;
      this.#init.onEvent?.("call");
    }
    return budget;
  }

  /** Books an outcome: fuel, statistics, the next state; returns the value or throws the mapped error. */
  #settle(invocation: Invocation, outcome: Outcome & { fuelAtStop?: bigint }, budget: bigint | undefined, started: number): unknown {
    // A stop the host imposed wins over whatever the guest did after it: it
    // may have caught the exception and returned, or trapped at the forced fuel check.
    const stop = this.#control.stopped;
    if (budget !== undefined) {
      // A stopped guest consumed what it had used up to the stop, not the forced-negative fuel.
      const left = this.#control.fuelAtStop ?? outcome.fuelAtStop ?? outcome.fuelLeft ?? budget;
      this.#fuelConsumed += budget - left;
      if (invocation.fuel === undefined) this.#fuelRemaining = left > 0n ? left : 0n;
    }
    this.#counters.callTimeMs += performance.now() - started;
    const error = stop !== undefined ? stopError(stop, this.id) : outcome.error;
    if (error === undefined) {
      this.#machine.moveTo(SandboxState.Ready);
      return outcome.value;
    }
    // Argument errors found before the guest ran leave it consistent.
    const guestRan = stop !== undefined || outcome.guestRan;
    this.#machine.moveTo(guestRan ? SandboxState.Trapped : SandboxState.Ready);
    if (guestRan) {
      this.#counters.traps++;
      this.#init.onEvent?.("trap");
    }
    throw error;
  }

  #requireMetered(): void {
    if (this.#fuelRemaining === undefined) {
      throw new SandboxError("InvalidState", `plugin "${this.id}" is not metered; load it with a fuel budget`, { pluginId: this.id });
    }
  }

  /**
   * Builds the environment, links the host functions, picks the mode (at
   * load) and creates the instance: synchronously on this thread, or (a
   * promise) in a worker.
   */
  #instantiate(): void | Promise<void> {
    const { prepared, capabilities, linkDeniedAsStubs } = this.#init;
    this.#slot.clear();
    const environment = this.#init.environment(this.#guestMemory, this.#slot);
    const namespaces = [{ registrar: sandboxNamespace(this.#slot), errors: abiErrorConvention }, ...environment.namespaces];
    const control = new GuestControl();
    const firstInstance = this.#engine === undefined && this.#worker === undefined;
    if (firstInstance) this.#mode = this.#pickMode(namespaces);
    const asyncImports = new Set<string>();
    const functions = linkHostFunctions(prepared.imports, {
      pluginId: this.id,
      memory: this.#guestMemory,
      capabilities,
      namespaces,
      importSignatures: prepared.importSignatures,
      slot: this.#slot,
      recorder: this.#init.recorder,
      linkDeniedAsStubs,
      counters: this.#counters,
      control,
      fuelPerByte: this.#init.hostFuelPerByte,
      // By default a record takes the time its guest call began: no clock read per host call.
      recordTime: this.#init.recordTime ?? (this.#init.auditDurations ? undefined : () => this.#callStartedAt),
      asyncResults: this.#mode !== "in-process",
      onAsyncImport: (module, name) => asyncImports.add(`${module}\0${name}`),
    });
    this.#control = control;
    this.#environment = environment;
    if (this.#mode === "worker") {
      return this.#startWorker(functions, control).then(() => environment.onInstance?.(this.#guestMemory));
    }
    this.#startEngine(functions, asyncImports, control);
    environment.onInstance?.(this.#guestMemory);
  }

  /** In-process: the engine on this thread; with JSPI, async imports suspend and exports return promises. */
  #startEngine(functions: Record<string, Record<string, unknown>>, asyncImports: Set<string>, control: GuestControl): void {
    const { prepared } = this.#init;
    const imports: WebAssembly.Imports = {};
    for (const [ns, fns] of Object.entries(functions)) {
      imports[ns] = {};
      for (const [name, fn] of Object.entries(fns)) {
        const suspend = this.#mode === "jspi" && asyncImports.has(`${ns}\0${name}`);
        (imports[ns] as Record<string, unknown>)[name] = suspend ? new jspi!.Suspending(fn as GuestFunction) : fn;
      }
    }
    let importedMemory: WebAssembly.Memory | undefined;
    for (const m of prepared.importedMemories) {
      const memory = createMemory(m, this.id, false);
      imports[m.module] = { ...imports[m.module], [m.name]: memory };
      importedMemory ??= memory;
    }
    for (const [ns, values] of Object.entries(this.#environment.extraImports ?? {})) imports[ns] = { ...imports[ns], ...values };
    const wrap = this.#mode === "jspi" ? (fn: GuestFunction) => jspi!.promising(fn) : undefined;
    const engine = new GuestEngine(this.id, prepared.module, imports, wrap);
    control.bind(engine.instance);
    this.#engine = engine;
    this.#memoryObject = engine.memoryObject(importedMemory);
  }

  /** Worker mode: the guest's memories become shared ones this thread creates; every import is answered here. */
  async #startWorker(functions: Record<string, Record<string, unknown>>, control: GuestControl): Promise<void> {
    const { prepared } = this.#init;
    const shared = sharedVariant(prepared, this.id);
    const memories = shared.memories.map((m) => ({ module: m.module, name: m.name, memory: createMemory({ ...m, shared: true }, this.id, true) }));
    const imports = [];
    const calls: GuestFunction[] = [];
    for (const imp of prepared.imports) {
      if (imp.kind !== "function") continue;
      const type = prepared.importSignatures?.get(`${imp.module}\0${imp.name}`);
      const signature = type && channelSignature(type);
      if (!signature) {
        throw new SandboxError("InvalidModule", `import ${imp.module}.${imp.name} cannot be forwarded from a worker (only numeric parameters and results can)`, { pluginId: this.id });
      }
      imports.push({ module: imp.module, name: imp.name, signature });
      calls.push(functions[imp.module][imp.name] as GuestFunction);
    }
    control.bindRemote();
    this.#memoryObject = memories[0]?.memory;
    this.#worker = await WorkerExecutor.start({
      pluginId: this.id,
      module: shared.module,
      memories,
      imports,
      functions: calls,
      takeFuelCharge: () => control.takeCharge(),
      timeoutMs: this.#init.timeoutMs ?? DEFAULT_TIMEOUT_MS,
    });
  }

  /** The mode this plugin runs in, from the host's choice, its imports and what the runtime supports. */
  #pickMode(namespaces: readonly LinkableNamespace[]): ExecutionMode {
    const { isolation, timeoutMs, prepared } = this.#init;
    if (isolation !== undefined && isolation !== "in-process" && isolation !== "worker") {
      throw new SandboxError("InvalidArgument", `isolation must be "in-process" or "worker", not "${String(isolation)}"`, { pluginId: this.id });
    }
    if (timeoutMs !== undefined && (typeof timeoutMs !== "number" || !(timeoutMs > 0) || timeoutMs > MAX_TIMER_MS)) {
      throw new SandboxError("InvalidArgument", `timeoutMs must be a positive number of milliseconds up to ${MAX_TIMER_MS}`, { pluginId: this.id });
    }
    const needsAsync = prepared.imports.some((imp) => {
      const ns = namespaces.find((n) => n.registrar.namespace === imp.module);
      const fn = ns && Object.hasOwn(ns.registrar.functions, imp.name) ? ns.registrar.functions[imp.name] : undefined;
      return fn?.async === true;
    });
    if (isolation === "worker" || (isolation === undefined && timeoutMs !== undefined)) return "worker";
    if (!needsAsync) {
      if (isolation === "in-process" && timeoutMs !== undefined) {
        throw new SandboxError("InvalidArgument", "timeoutMs bounds calls in a worker; it cannot be combined with isolation: \"in-process\"", { pluginId: this.id });
      }
      return "in-process";
    }
    if (jspi !== undefined) return "jspi";
    if (isolation === "in-process") {
      throw new SandboxError(
        "InvalidArgument",
        `plugin "${this.id}" imports async host functions, which need JSPI (Node >= 24, Deno >= 2.3) to run in-process; ` +
          "load it without isolation: \"in-process\" to run it in a worker",
        { pluginId: this.id },
      );
    }
    return "worker";
  }
}

/** The error a host-imposed stop stands for (proc_exit keeps its WASI unwind, which run() turns into an exit code). */
function stopError(stop: Error, pluginId: string): Error {
  if (stop instanceof SandboxError || exitCodeOf(stop) !== undefined) return stop;
  return mapGuestError(stop, pluginId, TrapReason.None);
}

function emptyResult(exitCode: number): RunResult {
  return { exitCode, stdout: new Uint8Array(0), stderr: new Uint8Array(0), stdoutTruncated: false, stderrTruncated: false };
}

const sharedVariants = new WeakMap<PreparedModule, { module: WebAssembly.Module; memories: ReturnType<typeof importMemoriesAsShared>["memories"] }>();

/** The prepared module with its memories as shared imports, compiled once per prepared module. */
function sharedVariant(prepared: PreparedModule, pluginId: string) {
  let variant = sharedVariants.get(prepared);
  if (variant === undefined) {
    if (prepared.rewritten === undefined) {
      throw new SandboxError("InvalidArgument", "a precompiled module cannot run in a worker: its memories cannot be shared with the host", { pluginId });
    }
    const { bytes, memories } = importMemoriesAsShared(prepared.rewritten);
    variant = { module: new WebAssembly.Module(bytes as Uint8Array<ArrayBuffer>), memories };
    sharedVariants.set(prepared, variant);
  }
  return variant;
}

function createMemory(
  spec: { module: string; name: string; initial: number; maximum: number; shared: boolean },
  pluginId: string,
  shared: boolean,
): WebAssembly.Memory {
  try {
    return new WebAssembly.Memory({ initial: spec.initial, maximum: spec.maximum, shared: shared || spec.shared });
  } catch (err) {
    throw new SandboxError("MemoryLimit", `cannot create memory ${spec.module}.${spec.name} of ${spec.initial} pages: ${(err as Error).message}`, { pluginId, cause: err });
  }
}
