/**
 * An isolated sandbox for one plugin: its own instance, linear memory and
 * tables, its state machine, response slot and statistics.
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
import { DEPTH_GLOBAL_EXPORT, FUEL_GLOBAL_EXPORT, START_EXPORT, TRAP_REASON_GLOBAL_EXPORT } from "../fuel/instrument.ts";
import { lowerArguments } from "./values.ts";
import type { CommandResult } from "../wasi/mod.ts";
import type { SandboxValue } from "./values.ts";


/** Per-instance pieces supplied by the runtime: host namespaces and the WASI session. */
export interface InstanceEnvironment {
  /** Namespaces beyond the always-linked `sandbox` one, with their error conventions. */
  namespaces: LinkableNamespace[];
  /** Extra non-function imports (memories, etc.) keyed by namespace and name. */
  extraImports?: Record<string, Record<string, WebAssembly.ExportValue>>;
  /** Called once the instance exists (WASI binds its memory here). */
  onInstance?(instance: WebAssembly.Instance, memory: GuestMemory): void;
  /** Runs a WASI command's `_start`; present when the module imports WASI. */
  runCommand?(instance: WebAssembly.Instance): RunResult;
}

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
  /** The sandbox's `sandbox_exec` execution counter. */
  execState: ExecState;
  /** The sandbox's log rate limiter (its drop count shows in stats). */
  logGate: GuestLogGate;
  /** Told about every call and trap, for runtime-wide statistics. */
  onEvent?(event: "call" | "trap"): void;
  /** Set by subclasses whose guest is instantiated elsewhere (worker isolation): no in-process instance. */
  external?: boolean;
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

type GuestFunction = (...args: unknown[]) => unknown;

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
  #instance!: WebAssembly.Instance;
  #environment!: InstanceEnvironment;
  #memoryObject: WebAssembly.Memory | undefined;
  /** The current instance's fuel charges and host-imposed stop (one per instance). */
  #control = new GuestControl();
  #counters = { calls: 0, traps: 0, hostCalls: 0, deniedHostCalls: 0, callTimeMs: 0, memoryPeakBytes: 0, resets: 0 };
  #fuelRemaining: bigint | undefined;
  #fuelConsumed = 0n;

  /** @internal Created by the runtime. */
  constructor(init: SandboxInit) {
    this.id = init.id;
    this.#init = init;
    this.#machine = new SandboxStateMachine(init.id);
    this.#guestMemory = new GuestMemory(() => this.#memoryObject);
    this.#fuelRemaining = init.prepared.metered ? init.fuel ?? 0n : undefined;
    if (init.external !== true) {
      this.#instantiate();
      this.#runStart();
    }
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

  /** Calls an export synchronously, in this thread. */
  callSync(exportName: string, ...args: SandboxValue[]): unknown {
    return this.callSyncWith({}, exportName, ...args);
  }

  /**
   * Calls an export with per-call options: `fuel` gives this call its own
   * budget instead of drawing from the sandbox's (what it uses still counts
   * in `fuelConsumed`).
   */
  callSyncWith(options: CallOptions, exportName: string, ...args: SandboxValue[]): unknown {
    this.#machine.assertReady(`call "${exportName}" on`);
    const fn = this.#exportedFunction(exportName);
    return this.#guarded(options.fuel, () => {
      const lowered = lowerArguments(args, this.#instance.exports, this.#guestMemory);
      try {
        if (lowered.values.length !== fn.length) {
          throw new SandboxError(
            "InvalidArgument",
            `export "${exportName}" takes ${fn.length} wasm parameters but ${lowered.values.length} were given ` +
              "(strings and bytes count as two: pointer and length)",
            { pluginId: this.id },
          );
        }
        return fn(...lowered.values);
      } finally {
        lowered.release();
      }
    });
  }

  /** Calls an export. Works in every isolation mode. */
  call(exportName: string, ...args: SandboxValue[]): Promise<unknown> {
    return this.callWith({}, exportName, ...args);
  }

  /** {@linkcode callSyncWith}, as a promise. */
  callWith(options: CallOptions, exportName: string, ...args: SandboxValue[]): Promise<unknown> {
    try {
      return Promise.resolve(this.callSyncWith(options, exportName, ...args));
    } catch (err) {
      return Promise.reject(err);
    }
  }

  /** Runs a WASI command (`_start`) to its end. The sandbox is Terminated afterwards; `reset()` to run again. */
  run(): Promise<RunResult> {
    try {
      this.#machine.assertReady("run");
      const runCommand = this.#environment.runCommand;
      if (!this.#init.prepared.exports.some((e) => e.name === "_start" && e.kind === "function") || !runCommand) {
        throw new SandboxError("InvalidArgument", `plugin "${this.id}" is not a command: it has no _start export`, { pluginId: this.id });
      }
      const result = this.#guarded(undefined, () => runCommand(this.#instance));
      this.#machine.moveTo(SandboxState.Terminated);
      return Promise.resolve(result);
    } catch (err) {
      return Promise.reject(err);
    }
  }

  /** A fresh instance from the cached module: memory, tables and globals start over. */
  reset(): void {
    if (this.#machine.current === SandboxState.Running) this.#machine.assertReady("reset");
    this.#instantiate();
    this.#machine.moveTo(SandboxState.Ready);
    this.#counters.resets++;
    this.#runStart();
  }

  /** Starts the `sandbox_exec` execution count (the policy's `maxExecutions`) over. */
  resetExecutionCount(): void {
    this.#init.execState.reset();
  }

  /** Marks the sandbox Terminated (used by the runtime on unload). */
  terminate(): void {
    if (this.#machine.current !== SandboxState.Terminated) this.#machine.moveTo(SandboxState.Terminated);
  }

  info(): PluginInfo {
    const prepared = this.#init.prepared;
    return {
      id: this.id,
      hash: prepared.hash,
      origin: this.#init.origin,
      state: this.state,
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

  #exportedFunction(name: string): GuestFunction {
    const exported = name !== START_EXPORT && Object.hasOwn(this.#instance.exports, name);
    const value = exported ? this.#instance.exports[name] : undefined;
    if (typeof value !== "function") {
      const available = this.info().exports.join(", ") || "none";
      throw new SandboxError("NotFound", `plugin "${this.id}" has no exported function "${name}" (exports: ${available})`, { pluginId: this.id });
    }
    return value as GuestFunction;
  }

  /**
   * Runs the module's start function, which the rewriter exported instead of
   * leaving it to run while instantiating: here it draws on the sandbox's
   * budget like any call, and its traps are told apart (OutOfFuel,
   * StackOverflow). It runs whatever the budget: with none left, its first
   * charge traps. A failure leaves the sandbox Trapped.
   */
  #runStart(): void {
    const start = this.#instance.exports[START_EXPORT];
    if (typeof start !== "function") return;
    this.#guarded(undefined, () => (start as () => void)(), { start: true });
  }

  /** Runs guest code in the Running state with its fuel, mapping failures and keeping statistics. */
  #guarded<T>(callFuel: bigint | undefined, body: () => T, { start = false } = {}): T {
    const fuel = this.#globals().fuel;
    const budget = callFuel ?? this.#fuelRemaining;
    if (fuel && budget !== undefined && budget <= 0n && !start) {
      throw new SandboxError("OutOfFuel", `plugin "${this.id}" has no fuel left; add some with addFuel() or pass a per-call budget`, { pluginId: this.id });
    }
    this.#machine.moveTo(SandboxState.Running);
    if (!start) {
      this.#counters.calls++;
      this.#init.onEvent?.("call");
    }
    if (fuel && budget !== undefined) fuel.value = budget;
    const started = performance.now();
    try {
      const result = body();
      // A guest that caught a host-imposed stop and returned still ends with the stop.
      const stop = this.#control.stopped;
      if (stop !== undefined) throw stop;
      this.#machine.moveTo(SandboxState.Ready);
      return result;
    } catch (err) {
      const trapReason = this.#takeTrapReason();
      // A stop wins over whatever the guest did after it (its forced fuel check reads as OutOfFuel).
      const mapped = this.#control.stopped ?? mapGuestError(err, this.id, trapReason);
      // Argument errors found before the guest ran leave it consistent.
      const guestRan = !(err instanceof SandboxError) || err.code !== "InvalidArgument";
      this.#machine.moveTo(guestRan ? SandboxState.Trapped : SandboxState.Ready);
      if (guestRan) {
        this.#counters.traps++;
        this.#init.onEvent?.("trap");
      }
      throw mapped;
    } finally {
      // A stopped guest consumed what it had used up to the stop, not the forced-negative fuel.
      const left = this.#control.fuelAtStop ?? fuel?.value as bigint;
      if (fuel && budget !== undefined) this.#settleFuel(budget, left, callFuel !== undefined);
      this.#counters.callTimeMs += performance.now() - started;
      this.#counters.memoryPeakBytes = Math.max(this.#counters.memoryPeakBytes, this.#guestMemory.byteLength);
    }
  }

  /** Books what a call used: the global may end slightly below zero when a charge overshoots. */
  #settleFuel(budget: bigint, left: bigint, ownBudget: boolean): void {
    this.#fuelConsumed += budget - left;
    if (!ownBudget) this.#fuelRemaining = left > 0n ? left : 0n;
  }

  /** The injected globals, when the module was rewritten with them. */
  #globals(): { fuel?: WebAssembly.Global; reason?: WebAssembly.Global; depth?: WebAssembly.Global } {
    const exports = this.#instance.exports;
    const global = (name: string) => (exports[name] instanceof WebAssembly.Global ? exports[name] as WebAssembly.Global : undefined);
    return { fuel: global(FUEL_GLOBAL_EXPORT), reason: global(TRAP_REASON_GLOBAL_EXPORT), depth: global(DEPTH_GLOBAL_EXPORT) };
  }

  /** Why injected code trapped (0 for the guest's own traps), resetting the injected counters. */
  #takeTrapReason(): number {
    const { reason, depth } = this.#globals();
    const value = reason ? reason.value as number : TrapReason.None;
    if (reason) reason.value = 0;
    if (depth) depth.value = 0;
    return value;
  }

  #requireMetered(): void {
    if (this.#fuelRemaining === undefined) {
      throw new SandboxError("InvalidState", `plugin "${this.id}" is not metered; load it with a fuel budget`, { pluginId: this.id });
    }
  }

  #instantiate(): void {
    const { prepared, capabilities, linkDeniedAsStubs } = this.#init;
    this.#slot.clear();
    const memories: Record<string, Record<string, WebAssembly.ExportValue>> = {};
    let importedMemory: WebAssembly.Memory | undefined;
    for (const m of prepared.importedMemories) {
      const memory = createMemory(m, this.id);
      (memories[m.module] ??= {})[m.name] = memory;
      importedMemory ??= memory;
    }
    const environment = this.#init.environment(this.#guestMemory, this.#slot);
    const control = new GuestControl();
    const functions = linkHostFunctions(prepared.imports, {
      pluginId: this.id,
      memory: this.#guestMemory,
      capabilities,
      namespaces: [{ registrar: sandboxNamespace(this.#slot), errors: abiErrorConvention }, ...environment.namespaces],
      importSignatures: prepared.importSignatures,
      slot: this.#slot,
      recorder: this.#init.recorder,
      linkDeniedAsStubs,
      counters: this.#counters,
      control,
      fuelPerByte: this.#init.hostFuelPerByte,
    });
    const imports: WebAssembly.Imports = { ...functions };
    for (const source of [memories, environment.extraImports ?? {}]) {
      for (const [ns, values] of Object.entries(source)) imports[ns] = { ...imports[ns], ...values };
    }
    let instance: WebAssembly.Instance;
    try {
      instance = new WebAssembly.Instance(prepared.module, imports);
    } catch (err) {
      throw instantiationError(err, this.id);
    }
    control.bind(instance);
    this.#instance = instance;
    this.#control = control;
    this.#environment = environment;
    this.#memoryObject = importedMemory ?? firstExportedMemory(instance);
    environment.onInstance?.(instance, this.#guestMemory);
  }


}

function createMemory(
  spec: { module: string; name: string; initial: number; maximum: number; shared: boolean },
  pluginId: string,
): WebAssembly.Memory {
  try {
    return new WebAssembly.Memory({ initial: spec.initial, maximum: spec.maximum, shared: spec.shared });
  } catch (err) {
    throw new SandboxError("MemoryLimit", `cannot create memory ${spec.module}.${spec.name} of ${spec.initial} pages: ${(err as Error).message}`, { pluginId, cause: err });
  }
}

function firstExportedMemory(instance: WebAssembly.Instance): WebAssembly.Memory | undefined {
  const named = instance.exports.memory;
  if (named instanceof WebAssembly.Memory) return named;
  return Object.values(instance.exports).find((v): v is WebAssembly.Memory => v instanceof WebAssembly.Memory);
}

function instantiationError(err: unknown, pluginId: string): SandboxError {
  if (err instanceof SandboxError) return err;
  if (err instanceof WebAssembly.LinkError) {
    return new SandboxError("InvalidModule", `plugin "${pluginId}" cannot be linked: ${err.message}`, { pluginId, cause: err });
  }
  return mapGuestError(err, pluginId, TrapReason.None);
}
