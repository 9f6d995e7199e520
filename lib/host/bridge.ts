/**
 * The host function bridge: links a module's imports against registrars,
 * wrapping every host function — in this one place — with the capability
 * check, error containment and audit recording.
 *
 * Linking fails closed: an import no registrar provides is InvalidModule; an
 * import whose capability the plugin was not granted is CapabilityDenied
 * (listing every missing capability), unless the host asked for denied
 * imports to be linked to stubs that refuse and audit each attempt.
 *
 * Before a call runs, the recorder is asked whether it can be audited
 * (`admit`): if not, the guest is stopped (guest_control.ts) and the call
 * never runs. After it runs, the guest is charged fuel for every byte the
 * call moved between its memory and the host.
 *
 * @module
 */
import type { AuditDetail } from "../audit/audit_event.ts";
import { SandboxError } from "../errors.ts";
import { DEFAULT_COST_TABLE } from "../fuel/cost_table.ts";
import type { GuestMemory } from "../memory/guest_memory.ts";
import { AbiCode } from "./abi_codes.ts";
import type { CapabilitySet, CapabilityToken } from "./capabilities.ts";
import { GuestControl } from "./guest_control.ts";
import { HostUnwind } from "./host_unwind.ts";
import type { HostCallContext, HostFunction, HostFunctionRegistrar } from "./registrar.ts";
import type { ResponseSlot } from "./response_slot.ts";
import type { FuncType } from "../wasm/module_summary.ts";

/** What the bridge tells the audit log about each host call. */
export interface HostCallRecord {
  pluginId: string;
  namespace: string;
  function: string;
  capability: string | undefined;
  decision: "allow" | "deny";
  /** Milliseconds since the Unix epoch when the call ended. */
  time: number;
  durationNs: number;
  bytesIn: number;
  bytesOut: number;
  result: number | bigint | undefined;
  /** Why the call was refused or failed, when the host function said (`ctx.explain`). */
  reason?: string;
  /** Structured facts the host function added for the record (`ctx.annotate`). */
  detail?: AuditDetail;
}

/**
 * Whether a host call may run: undefined lets it; `"refuse"` answers it as
 * denied (and records that); an error stops the guest without running it.
 */
export type HostCallAdmission = undefined | "refuse" | SandboxError;

/** Receives one record per host call. Must be cheap: it runs on the hot path. */
export interface HostCallRecorder {
  record(event: HostCallRecord): void;
  /**
   * Asked before each call runs, so that a call that could not be recorded
   * never runs (an `AuditLog` that is closed, or cannot keep up). Omitted:
   * every call may run.
   */
  admit?(): HostCallAdmission;
}

/**
 * How a namespace answers when refused or when its implementation throws.
 * The ABI namespaces use its error codes; WASI uses errnos.
 */
export interface ErrorConvention {
  /** The result of a call refused for lack of capability. */
  denied: number;
  /** The result for an exception thrown by the implementation. */
  fromError(err: unknown): number;
}

/** The ABI's convention: PERMISSION_DENIED, INVALID_ARGUMENT for bad guest input, else UNAVAILABLE. */
export const abiErrorConvention: ErrorConvention = {
  denied: AbiCode.PERMISSION_DENIED,
  fromError: (err) =>
    err instanceof SandboxError && err.code === "InvalidArgument" ? AbiCode.INVALID_ARGUMENT : AbiCode.UNAVAILABLE,
};

/** A registrar plus how its functions report errors. */
export interface LinkableNamespace {
  registrar: HostFunctionRegistrar;
  errors: ErrorConvention;
  /**
   * Whether the declared signatures are checked against the module's
   * imports at link time (default true). WASI's layer checks every argument
   * itself, so its functions declare no exact signature.
   */
  checkSignatures?: boolean;
  /**
   * Link every import even when its capability was not granted, refusing
   * (and auditing) each call instead (default false: such a load fails with
   * CapabilityDenied). WASI uses it: programs import functions they may never call.
   */
  refuseAtCall?: boolean;
}

/** Everything the bridge needs to link one plugin. */
export interface LinkOptions {
  pluginId: string;
  memory: GuestMemory;
  capabilities: CapabilitySet;
  namespaces: readonly LinkableNamespace[];
  slot: ResponseSlot;
  recorder: HostCallRecorder | undefined;
  /** Link refused imports to stubs that return PERMISSION_DENIED (or NOTCAPABLE) instead of failing the load. */
  linkDeniedAsStubs: boolean;
  /** Counted on every call, recorder or not. */
  counters: HostCallCounters;
  /** The module's import signatures (`module\0name`), to refuse mismatches at link time. */
  importSignatures?: ReadonlyMap<string, FuncType>;
  /**
   * The instance's fuel and stop control, bound by the caller once the
   * instance exists. Omitted: the bridge keeps its own, unbound (no fuel to
   * charge; a stop still refuses every later call).
   */
  control?: GuestControl;
  /**
   * Fuel charged per byte a host call moves between guest memory and the
   * host (`bytesIn + bytesOut`); default the cost table's `bulkPerUnit`, the
   * per-byte price of `memory.copy` (docs/FUEL.md).
   */
  fuelPerByte?: number;
  /**
   * Host functions may answer with a Promise (the plugin runs with JSPI or in
   * a worker, which waits for it). Without this, a Promise is refused with a
   * stop, never coerced into a number.
   */
  asyncResults?: boolean;
  /** Told about each linked import whose host function is declared `async` (JSPI wraps those in `Suspending`). */
  onAsyncImport?(module: string, name: string): void;
  /**
   * Where each audit record's `time` (ms since the epoch) comes from. Unset:
   * the real clock, with the call's measured `durationNs`. Set (deterministic
   * mode): this clock, and `durationNs` 0, so that the records — and the hash
   * chain over them — are the same on every runtime and every run.
   */
  recordTime?: () => number;
}

/** Host-call counts the bridge keeps (plain increments: cheap enough for every call). */
export interface HostCallCounters {
  hostCalls: number;
  deniedHostCalls: number;
}

type ImportObject = Record<string, Record<string, (...args: never[]) => unknown>>;

/** Builds the import object for `imports` (the module's function imports). */
export function linkHostFunctions(
  imports: readonly WebAssembly.ModuleImportDescriptor[],
  options: LinkOptions,
): ImportObject {
  const byNamespace = new Map<string, LinkableNamespace>();
  for (const ns of options.namespaces) byNamespace.set(ns.registrar.namespace, ns);

  const result: ImportObject = {};
  const missing = new Set<string>();
  const unknown: string[] = [];
  const mismatched: string[] = [];
  for (const imp of imports) {
    if (imp.kind !== "function") continue;
    const ns = byNamespace.get(imp.module);
    const fn = ns && Object.hasOwn(ns.registrar.functions, imp.name) ? ns.registrar.functions[imp.name] : undefined;
    if (!ns || !fn) {
      unknown.push(`${imp.module}.${imp.name}`);
      continue;
    }
    const declared = options.importSignatures?.get(`${imp.module}\0${imp.name}`);
    if (declared && ns.checkSignatures !== false && !sameSignature(declared, fn)) {
      mismatched.push(`${imp.module}.${imp.name} ${formatSignature(declared)} (the host's is ${formatSignature(fn)})`);
      continue;
    }
    const required = fn.linkCapabilities ?? (fn.capability === undefined ? [] : [fn.capability]);
    const refused = required.length > 0 && !required.some((c) => options.capabilities.granted(c));
    if (refused && !options.linkDeniedAsStubs && !ns.refuseAtCall) {
      missing.add(required.join(" or "));
      continue;
    }
    result[imp.module] ??= {};
    result[imp.module][imp.name] = wrapHostFunction(imp.module, imp.name, fn, ns.errors, options);
    if (fn.async === true) options.onAsyncImport?.(imp.module, imp.name);
  }
  if (unknown.length > 0) {
    throw new SandboxError(
      "InvalidModule",
      `plugin "${options.pluginId}" imports ${unknown.join(", ")}, which no host namespace provides`,
      { pluginId: options.pluginId },
    );
  }
  if (mismatched.length > 0) {
    throw new SandboxError(
      "InvalidModule",
      `plugin "${options.pluginId}" imports host functions with the wrong signature: ${mismatched.join("; ")}`,
      { pluginId: options.pluginId },
    );
  }
  if (missing.size > 0) {
    throw new SandboxError(
      "CapabilityDenied",
      `plugin "${options.pluginId}" needs capabilities it was not granted: ${[...missing].sort().join(", ")}`,
      { pluginId: options.pluginId },
    );
  }
  return result;
}

function sameSignature(declared: FuncType, fn: HostFunction): boolean {
  const same = (a: readonly string[], b: readonly string[]) => a.length === b.length && a.every((t, i) => t === b[i]);
  return same(declared.params, fn.params) && same(declared.results, fn.results);
}

function formatSignature(type: { params: readonly string[]; results: readonly string[] }): string {
  return `(${type.params.join(", ")}) -> (${type.results.join(", ")})`;
}

/** A context object reused by every call of one plugin; nested calls save and restore its token. */
class CallContext implements HostCallContext {
  readonly pluginId: string;
  readonly memory: GuestMemory;
  readonly control: GuestControl;
  readonly #slot: ResponseSlot;
  token: CapabilityToken | undefined = undefined;
  reason: string | undefined = undefined;
  detail: AuditDetail | undefined = undefined;

  constructor(pluginId: string, memory: GuestMemory, slot: ResponseSlot, control: GuestControl) {
    this.pluginId = pluginId;
    this.memory = memory;
    this.#slot = slot;
    this.control = control;
  }

  chargeFuel(units: number): void {
    this.control.chargeFuel(units);
  }

  explain(reason: string): void {
    this.reason = reason;
  }

  annotate(detail: AuditDetail): void {
    this.detail = detail;
  }

  respond(data: Uint8Array, outPtr: number, outCap: number): bigint {
    return this.#slot.deliver(this.memory, data, outPtr, outCap);
  }
}

const contexts = new WeakMap<LinkOptions, CallContext>();

function contextFor(options: LinkOptions): CallContext {
  let ctx = contexts.get(options);
  if (!ctx) {
    ctx = new CallContext(options.pluginId, options.memory, options.slot, options.control ?? new GuestControl());
    contexts.set(options, ctx);
  }
  return ctx;
}

function wrapHostFunction(
  namespace: string,
  name: string,
  fn: HostFunction,
  errors: ErrorConvention,
  options: LinkOptions,
): (...args: never[]) => unknown {
  const { capabilities, recorder, pluginId, counters } = options;
  const asyncResults = options.asyncResults === true;
  const ctx = contextFor(options);
  const control = ctx.control;
  // Counts every byte read from and written to guest memory; reset around each call, recorded after it.
  const memory = options.memory;
  const fuelPerByte = options.fuelPerByte ?? DEFAULT_COST_TABLE.bulkPerUnit;
  const capability = fn.capability;
  const resultType = fn.results[0];
  const asResult = resultType === "i64"
    ? (code: number) => BigInt(code)
    : resultType === undefined
    ? () => undefined
    : (code: number) => code;
  const deniedResult = asResult(errors.denied);
  const impl = fn.call as (ctx: HostCallContext, ...args: unknown[]) => number | bigint | void;
  const select = fn.selectCapability as ((...args: unknown[]) => string | undefined) | undefined;
  // The tokens that can let this function through, fixed at link time: a
  // CapabilitySet never changes after construction, and revocation is each token's own state.
  const tokens = capability === undefined ? undefined : capabilities.tokensFor(capability);

  const { recordTime } = options;
  const record = (decision: "allow" | "deny", started: number, result: unknown, needed: string | undefined) => {
    const ended = recordTime ? 0 : performance.now();
    try {
      recorder!.record({
        pluginId,
        namespace,
        function: name,
        capability: needed,
        decision,
        time: recordTime ? recordTime() : performance.timeOrigin + ended,
        durationNs: recordTime ? 0 : Math.round((ended - started) * 1e6),
        bytesIn: memory.bytesIn,
        bytesOut: memory.bytesOut,
        result: result as number | bigint | undefined,
        ...(ctx.reason === undefined ? {} : { reason: ctx.reason }),
        ...(ctx.detail === undefined ? {} : { detail: ctx.detail }),
      });
    } catch (err) {
      // A call that could not be recorded must not pass, and the guest must not swallow that.
      control.stop(
        err instanceof SandboxError ? err : new SandboxError("IoError", `recording a host call failed: ${(err as Error)?.message ?? String(err)}`, { pluginId, cause: err }),
      );
    }
  };

  // A stopped guest's calls never run: each is refused with the stop's error
  // again (and recorded as denied while the recorder can still take records).
  const refuseStopped = (stop: Error, needed: string | undefined): never => {
    counters.deniedHostCalls++;
    if (recorder && !(recorder.admit?.() instanceof SandboxError)) record("deny", recordTime ? 0 : performance.now(), undefined, needed);
    return control.stop(stop);
  };

  // Host work grows with the bytes a call moves, so the guest pays for them as for memory.copy.
  const chargeMoved = () => {
    const moved = memory.bytesIn + memory.bytesOut;
    if (moved > 0) control.chargeFuel(Math.min(moved * fuelPerByte, Number.MAX_SAFE_INTEGER));
  };

  /**
   * A host function that threw: a stop or an unwind (proc_exit, abort, a
   * convention that rethrows) stops the guest, uncatchably; any other error
   * becomes the namespace's error code.
   */
  const failed = (err: unknown, started: number, needed: string | undefined): number | bigint | undefined => {
    let code: number;
    try {
      if (control.stopped !== undefined || err instanceof HostUnwind) throw err;
      code = errors.fromError(err);
    } catch (unwind) {
      chargeMoved();
      if (recorder) record("allow", started, undefined, needed);
      return control.stop(unwind instanceof Error ? unwind : new Error(String(unwind)));
    }
    return asResult(code) as number | bigint | undefined;
  };

  /** Checks, charges and records a result; a value of the wrong type is never coerced. */
  const finished = (result: unknown, started: number, needed: string | undefined): unknown => {
    if (!resultFits(result)) {
      return control.stop(
        new SandboxError(
          "InvalidState",
          `host function ${namespace}.${name} returned ${describe(result)} where its signature says ${resultType ?? "nothing"}`,
          { pluginId },
        ),
      );
    }
    chargeMoved();
    if (recorder) record("allow", started, result, needed);
    return result;
  };

  /** Finishes an async call: its record counts the bytes moved before and after it awaited. */
  const settled = (
    value: unknown,
    syncIn: number,
    syncOut: number,
    outerIn: number,
    outerOut: number,
    started: number,
    needed: string | undefined,
  ): unknown => {
    memory.bytesIn = syncIn + memory.bytesIn - outerIn;
    memory.bytesOut = syncOut + memory.bytesOut - outerOut;
    try {
      return finished(value, started, needed);
    } finally {
      memory.bytesIn = outerIn;
      memory.bytesOut = outerOut;
    }
  };

  const resultFits = resultType === "i64"
    ? (value: unknown) => typeof value === "bigint"
    : resultType === undefined
    ? (value: unknown) => value === undefined
    : (value: unknown) => typeof value === "number";

  // Five named parameters cover every ABI function and most of WASI without
  // building an argument array or a spread call; longer signatures (WASI's
  // path functions) pass the rest through `more`. Bodies ignore extra undefineds.
  return (a: unknown, b: unknown, c: unknown, d: unknown, e: unknown, ...more: unknown[]) => {
    let needed = capability;
    let token: CapabilityToken | undefined;
    if (select !== undefined) {
      needed = more.length === 0 ? select(a, b, c, d, e) : select(a, b, c, d, e, ...more);
      token = needed === undefined ? undefined : capabilities.find(needed);
    } else if (tokens !== undefined) {
      token = firstLive(tokens);
    }
    counters.hostCalls++;
    const started = recorder && !recordTime ? performance.now() : 0;
    // A nested call (host → guest → host) counts its own bytes; the outer call's resume after it.
    const outerToken = ctx.token, outerReason = ctx.reason, outerDetail = ctx.detail, outerIn = memory.bytesIn, outerOut = memory.bytesOut;
    ctx.token = token;
    ctx.reason = undefined;
    ctx.detail = undefined;
    memory.bytesIn = 0;
    memory.bytesOut = 0;
    // An async call keeps its reason and detail in the context until it settles: what it explains
    // after awaiting belongs to its own record, and must not linger into the next call's.
    let inFlight = false;
    try {
      const stop = control.stopped;
      if (stop !== undefined) return refuseStopped(stop, needed);
      // Asked before the call runs: a call the audit log cannot take never happens.
      const admission = recorder?.admit?.();
      if (admission !== undefined) {
        if (admission instanceof SandboxError) {
          counters.deniedHostCalls++;
          return control.stop(admission);
        }
        counters.deniedHostCalls++;
        record("deny", started, deniedResult, needed);
        return deniedResult;
      }
      if (needed !== undefined && token === undefined) {
        counters.deniedHostCalls++;
        if (recorder) record("deny", started, deniedResult, needed);
        return deniedResult;
      }
      let result: unknown;
      try {
        result = more.length === 0 ? impl(ctx, a, b, c, d, e) : impl(ctx, a, b, c, d, e, ...more);
      } catch (err) {
        result = failed(err, started, needed);
      }
      if (result instanceof Promise) {
        if (!asyncResults) {
          return control.stop(
            new SandboxError(
              "InvalidState",
              `host function ${namespace}.${name} answered with a Promise, but plugin "${pluginId}" runs synchronously; ` +
                "declare it async: true so the plugin runs with JSPI or in a worker",
              { pluginId },
            ),
          );
        }
        // The bytes the call moved before it awaited, and the count to restore once it has settled.
        const syncIn = memory.bytesIn, syncOut = memory.bytesOut;
        const restore = () => {
          ctx.reason = outerReason;
          ctx.detail = outerDetail;
        };
        inFlight = true;
        return result.then(
          (value) => {
            try {
              return settled(value, syncIn, syncOut, outerIn, outerOut, started, needed);
            } finally {
              restore();
            }
          },
          (err) => {
            try {
              return settled(failed(err, started, needed), syncIn, syncOut, outerIn, outerOut, started, needed);
            } finally {
              restore();
            }
          },
        );
      }
      return finished(result, started, needed);
    } finally {
      ctx.token = outerToken;
      if (!inFlight) {
        ctx.reason = outerReason;
        ctx.detail = outerDetail;
      }
      memory.bytesIn = outerIn;
      memory.bytesOut = outerOut;
    }
  };
}

/** The first unrevoked token (a plain loop: no closure per call). */
function firstLive(tokens: readonly CapabilityToken[]): CapabilityToken | undefined {
  for (let i = 0; i < tokens.length; i++) if (!tokens[i].revoked) return tokens[i];
  return undefined;
}

function describe(value: unknown): string {
  if (value === undefined) return "nothing";
  if (value === null) return "null";
  return `a ${typeof value}`;
}
