/**
 * The guest engine: one instance of a prepared module and the one way to
 * run its code. It sets the fuel budget, lowers arguments, calls the export
 * and reads back what the call left (fuel, the rewriter's trap reason). The
 * same code runs on the host thread (in-process plugins) and inside a worker
 * (worker-isolated plugins); only the imports it is given differ.
 *
 * @module
 */
import { SandboxError } from "../errors.ts";
import { DEPTH_GLOBAL_EXPORT, FUEL_GLOBAL_EXPORT, START_EXPORT, TRAP_REASON_GLOBAL_EXPORT } from "../fuel/instrument.ts";
import type { GuestMemory } from "../memory/guest_memory.ts";
import { mapGuestError, TrapReason } from "./trap_mapping.ts";
import { lowerArguments } from "./values.ts";
import type { SandboxValue } from "./values.ts";

/** What to run: an export with arguments, the exported start function, or a command's `_start`. */
export interface Invocation {
  kind: "call" | "start" | "run";
  name: string;
  args: SandboxValue[];
  /** The budget to set before running; undefined leaves the fuel global alone (unmetered). */
  fuel: bigint | undefined;
}

/** How an invocation ended, as the sandbox books it. */
export interface Outcome {
  /** The export's result when it returned. */
  value?: unknown;
  /** Why it did not return, already mapped to a SandboxError. */
  error?: SandboxError;
  /** False when it failed before guest code ran (bad arguments): the instance is still consistent. */
  guestRan: boolean;
  /** The fuel global after the call; undefined when unmetered. */
  fuelLeft: bigint | undefined;
}

type GuestFunction = (...args: unknown[]) => unknown;

/** One instance and its injected globals. */
export class GuestEngine {
  readonly instance: WebAssembly.Instance;
  readonly #pluginId: string;
  readonly #fuel: WebAssembly.Global | undefined;
  readonly #reason: WebAssembly.Global | undefined;
  readonly #depth: WebAssembly.Global | undefined;
  /** Wraps an export for calling (JSPI: `WebAssembly.promising`); identity otherwise. */
  readonly #wrap: (fn: GuestFunction) => GuestFunction;
  /** Exports already looked up and wrapped, with their wasm parameter counts: a call is then one map lookup. */
  readonly #callable = new Map<string, { fn: GuestFunction; params: number }>();

  constructor(
    pluginId: string,
    module: WebAssembly.Module,
    imports: WebAssembly.Imports,
    wrap: (fn: GuestFunction) => GuestFunction = (fn) => fn,
  ) {
    this.#pluginId = pluginId;
    this.#wrap = wrap;
    try {
      this.instance = new WebAssembly.Instance(module, imports);
    } catch (err) {
      throw instantiationError(err, pluginId);
    }
    const global = (name: string) => {
      const value = this.instance.exports[name];
      return value instanceof WebAssembly.Global ? value : undefined;
    };
    this.#fuel = global(FUEL_GLOBAL_EXPORT);
    this.#reason = global(TRAP_REASON_GLOBAL_EXPORT);
    this.#depth = global(DEPTH_GLOBAL_EXPORT);
  }

  /** The memory the host reaches the guest through: the first imported one, else the first exported. */
  memoryObject(imported: WebAssembly.Memory | undefined): WebAssembly.Memory | undefined {
    if (imported !== undefined) return imported;
    const named = this.instance.exports.memory;
    if (named instanceof WebAssembly.Memory) return named;
    return Object.values(this.instance.exports).find((v): v is WebAssembly.Memory => v instanceof WebAssembly.Memory);
  }

  /** True when the module has an exported start function to run before anything else. */
  get hasStart(): boolean {
    return typeof this.instance.exports[START_EXPORT] === "function";
  }

  /**
   * Runs `invocation` on `budget` units of fuel (undefined: the fuel global
   * is left as it is): synchronously, or as a promise when the export was
   * wrapped for JSPI. Never throws: every failure is in the outcome.
   */
  invoke(invocation: Invocation, memory: GuestMemory, budget: bigint | undefined = invocation.fuel): Outcome | Promise<Outcome> {
    let fn: GuestFunction;
    let lowered: ReturnType<typeof lowerArguments> | undefined;
    try {
      const callable = this.#callableFor(invocation);
      fn = callable.fn;
      lowered = lowerArguments(invocation.args, this.instance.exports, memory);
      const expected = invocation.kind === "call" ? callable.params : 0;
      if (lowered.values.length !== expected) {
        throw new SandboxError(
          "InvalidArgument",
          `export "${invocation.name}" takes ${expected} wasm parameters but ${lowered.values.length} were given ` +
            "(strings and bytes count as two: pointer and length)",
          { pluginId: this.#pluginId },
        );
      }
    } catch (err) {
      lowered?.release();
      return { error: mapGuestError(err, this.#pluginId, TrapReason.None), guestRan: false, fuelLeft: this.#fuelLeft() };
    }
    if (this.#fuel !== undefined && budget !== undefined) this.#fuel.value = budget;
    const done = lowered;
    let result: unknown;
    try {
      result = fn(...done.values);
    } catch (err) {
      done.release();
      return this.#failed(err);
    }
    if (result instanceof Promise) {
      return result.then(
        (value) => {
          done.release();
          return this.#returned(value);
        },
        (err) => {
          done.release();
          return this.#failed(err);
        },
      );
    }
    done.release();
    return this.#returned(result);
  }

  #callableFor(invocation: Invocation): { fn: GuestFunction; params: number } {
    // The start function runs once per instance: only calls are remembered, so no call can reach it.
    let callable = invocation.kind === "call" ? this.#callable.get(invocation.name) : undefined;
    if (callable === undefined) {
      const raw = this.#function(invocation);
      callable = { fn: this.#wrap(raw), params: raw.length };
      if (invocation.kind === "call") this.#callable.set(invocation.name, callable);
    }
    return callable;
  }

  #function(invocation: Invocation): GuestFunction {
    const name = invocation.kind === "start" ? START_EXPORT : invocation.name;
    const reserved = invocation.kind === "call" && name === START_EXPORT;
    const value = !reserved && Object.hasOwn(this.instance.exports, name) ? this.instance.exports[name] : undefined;
    if (typeof value !== "function") {
      const available = Object.entries(this.instance.exports)
        .filter(([key, v]) => typeof v === "function" && key !== START_EXPORT)
        .map(([key]) => key)
        .join(", ") || "none";
      throw new SandboxError(
        "NotFound",
        `plugin "${this.#pluginId}" has no exported function "${name}" (exports: ${available})`,
        { pluginId: this.#pluginId },
      );
    }
    return value as GuestFunction;
  }

  #returned(value: unknown): Outcome {
    return { value, guestRan: true, fuelLeft: this.#fuelLeft() };
  }

  #failed(err: unknown): Outcome {
    const reason = this.#takeTrapReason();
    return { error: mapGuestError(err, this.#pluginId, reason), guestRan: true, fuelLeft: this.#fuelLeft() };
  }

  #fuelLeft(): bigint | undefined {
    return this.#fuel?.value as bigint | undefined;
  }

  /** Why injected code trapped (0 for the guest's own traps), resetting the injected counters. */
  #takeTrapReason(): number {
    const value = this.#reason ? this.#reason.value as number : TrapReason.None;
    if (this.#reason) this.#reason.value = 0;
    if (this.#depth) this.#depth.value = 0;
    return value;
  }
}

function instantiationError(err: unknown, pluginId: string): SandboxError {
  if (err instanceof SandboxError) return err;
  if (err instanceof WebAssembly.LinkError) {
    return new SandboxError("InvalidModule", `plugin "${pluginId}" cannot be linked: ${err.message}`, { pluginId, cause: err });
  }
  return mapGuestError(err, pluginId, TrapReason.None);
}
