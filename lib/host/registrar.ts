/**
 * Host function registrars: how a host namespace is declared. A registrar
 * names one import namespace and, for each function, its wasm signature, the
 * capability it needs and its implementation. The bridge (bridge.ts) wraps
 * every function with the capability check and audit recording, so bodies
 * contain only their own logic.
 *
 * @example
 * ```ts
 * const clock = defineRegistrar("my_clock", {
 *   now_ms: { params: [], results: ["i64"], capability: "my_clock:read", call: () => BigInt(Date.now()) },
 * });
 * await runtime.loadPlugin("p", bytes, { registrars: [clock], capabilities: [grant("my_clock:read")] });
 * ```
 *
 * @module
 */
import type { AuditDetail } from "../audit/audit_event.ts";
import type { GuestMemory } from "../memory/guest_memory.ts";
import type { CapabilityToken } from "./capabilities.ts";

/** A WebAssembly number type. Only these cross the boundary. */
export type WasmValueType = "i32" | "i64" | "f32" | "f64";

/** What a host function receives besides its wasm arguments. */
export interface HostCallContext {
  /** The calling plugin. */
  readonly pluginId: string;
  /** Bounds-checked access to the caller's memory (re-derived after every grow). */
  readonly memory: GuestMemory;
  /** The token that let this call through (its `scope` narrows what is allowed); undefined for capability-free functions. */
  readonly token: CapabilityToken | undefined;
  /**
   * Delivers output by the ABI's protocol: writes `data` at `outPtr` when it
   * fits in `outCap`, else parks it in the response slot. Returns the size.
   */
  respond(data: Uint8Array, outPtr: number, outCap: number): bigint;
  /**
   * Charges the guest `units` of fuel (a non-negative integer) for work that
   * grows with its input beyond the bytes it moves — the bridge already
   * charges for every byte `memory` reads or writes (the audit record's
   * `bytesIn` and `bytesOut`). Over budget,
   * the guest traps with OutOfFuel at its next fuel check; a no-op for
   * unmetered plugins. See docs/FUEL.md.
   */
  chargeFuel(units: number): void;
  /**
   * Says why this call was refused or failed, for its audit record (the
   * guest still sees only the ABI code). E.g. a denied `sandbox_exec` names
   * the policy rule that refused it.
   */
  explain(reason: string): void;
  /**
   * Adds structured facts about this call to its audit record (`detail`),
   * e.g. an HTTP request's method, host and status. Only what may be kept
   * in a log: never bodies, header values or secrets.
   */
  annotate(detail: AuditDetail): void;
}

/**
 * One host function.
 *
 * @example
 * ```ts
 * import type { HostFunction } from "wasm-sandbox";
 *
 * const square: HostFunction = { params: ["i32"], results: ["i32"], call: (_ctx, x: number) => x * x };
 * ```
 */
export interface HostFunction {
  readonly params: readonly WasmValueType[];
  /** Zero or one result. */
  readonly results: readonly WasmValueType[];
  /** The capability a plugin must hold; omit for functions any plugin may call. */
  readonly capability?: string;
  /**
   * For a function whose capability depends on its arguments (WASI's fd
   * functions: stdio or fs): picks the capability per call. Linking then
   * needs any one of `linkCapabilities`.
   */
  readonly selectCapability?: (...args: never[]) => string | undefined;
  /** With `selectCapability`: the capabilities of which linking needs one. */
  readonly linkCapabilities?: readonly string[];
  /**
   * The function may answer with a Promise (it waits for I/O, a command, a
   * timer). A plugin importing one runs with JSPI where the runtime has it
   * (the guest suspends, the host's event loop runs) and in a worker where it
   * does not; `callSync` is refused for it. Default false: a Promise from an
   * undeclared function stops the guest with InvalidState.
   */
  readonly async?: boolean;
  /**
   * The implementation. Throw a SandboxError with code InvalidArgument for bad
   * guest input (the bridge returns INVALID_ARGUMENT); any other throw becomes
   * UNAVAILABLE. Never reached without the capability.
   */
  call(ctx: HostCallContext, ...args: never[]): number | bigint | void | Promise<number | bigint | void>;
}

/**
 * A host namespace: the unit that plugins link against.
 *
 * @example
 * ```ts
 * import type { HostFunctionRegistrar } from "wasm-sandbox";
 *
 * const math: HostFunctionRegistrar = defineRegistrar("my_math", { square });
 * await runtime.loadPlugin("p", bytes, { registrars: [math] });
 * ```
 */
export interface HostFunctionRegistrar {
  readonly namespace: string;
  readonly functions: Readonly<Record<string, HostFunction>>;
}

/**
 * Declares a registrar (a typed identity function that freezes its input).
 * Its functions are capability-checked and audited like the built-in ones.
 *
 * @example
 * ```ts
 * import { defineRegistrar, grant, WasmSandboxRuntime } from "wasm-sandbox";
 *
 * const clock = defineRegistrar("my_clock", {
 *   now_ms: { params: [], results: ["i64"], capability: "my_clock:read", call: () => BigInt(Date.now()) },
 * });
 * const runtime = new WasmSandboxRuntime();
 * await runtime.loadPlugin("p", "./p.wasm", { registrars: [clock], capabilities: [grant("my_clock:read")] });
 * ```
 */
export function defineRegistrar(
  namespace: string,
  functions: Record<string, HostFunction>,
): HostFunctionRegistrar {
  return Object.freeze({ namespace, functions: Object.freeze({ ...functions }) });
}
