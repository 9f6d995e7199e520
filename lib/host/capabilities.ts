/**
 * Capability tokens: unforgeable objects that only host code can mint with
 * {@linkcode grant}. A plugin reaches a host function or a WASI area only
 * through a token naming its capability; revoking a token makes later calls
 * fail with PERMISSION_DENIED (or WASI's NOTCAPABLE).
 *
 * @module
 */
import { SandboxError } from "../errors.ts";

/**
 * The built-in capability names. Registrars may define their own (`"namespace:name"`).
 *
 * @example
 * ```ts
 * import { Capabilities, grant } from "wasm-sandbox";
 *
 * const tokens = [grant(Capabilities.WasiStdio), grant(Capabilities.SochRead, { keyPrefix: "public/" })];
 * ```
 */
export const Capabilities = {
  SochRead: "soch:read",
  SochWrite: "soch:write",
  SochVectorSearch: "soch:vector_search",
  SochVectorWrite: "soch:vector_write",
  SandboxExec: "sandbox:exec",
  NetworkHttp: "network:http",
  SandboxTime: "sandbox:time",
  SandboxLog: "sandbox:log",
  WasiArgs: "wasi:args",
  WasiEnv: "wasi:env",
  WasiStdio: "wasi:stdio",
  WasiClock: "wasi:clock",
  WasiRandom: "wasi:random",
  WasiFs: "wasi:fs",
  WasiProc: "wasi:proc",
} as const;

/** Every built-in capability name, for validating user input such as CLI flags. */
export const BUILTIN_CAPABILITIES: readonly string[] = Object.values(Capabilities);

/** Narrows what a soch token allows. */
export interface SochScope {
  /** Only keys starting with this prefix are visible. */
  keyPrefix?: string;
  /** Writes are refused even with a `soch:write` token of this scope. */
  readOnly?: boolean;
}

const MINT = Symbol("mint");

/**
 * A deep, frozen copy of a scope, taken once at grant(): later changes to
 * the host's own objects (pushing onto an array it passed in) cannot widen
 * the token. Only plain data can be copied faithfully, so anything else —
 * functions, class instances, typed arrays, cycles — is refused.
 */
function frozenCopy(value: unknown, path: string, ancestors: Set<object>): unknown {
  if (value === null || typeof value !== "object") {
    if (typeof value === "function" || typeof value === "symbol") {
      throw new SandboxError("InvalidArgument", `grant(): ${path} is a ${typeof value}; a scope holds plain data only`);
    }
    return value;
  }
  if (ancestors.has(value)) throw new SandboxError("InvalidArgument", `grant(): ${path} refers back to itself`);
  const proto = Object.getPrototypeOf(value);
  const isArray = Array.isArray(value);
  if (!isArray && proto !== Object.prototype && proto !== null) {
    throw new SandboxError("InvalidArgument", `grant(): ${path} is not a plain object or array; a scope holds plain data only`);
  }
  ancestors.add(value);
  const copy: Record<string, unknown> | unknown[] = isArray ? [] : {};
  for (const key of Object.keys(value)) {
    const item = frozenCopy((value as Record<string, unknown>)[key], isArray ? `${path}[${key}]` : `${path}.${key}`, ancestors);
    // defineProperty, not assignment: a "__proto__" key stays data instead of setting the prototype.
    Object.defineProperty(copy, key, { value: item, enumerable: true, writable: true, configurable: true });
  }
  ancestors.delete(value);
  return Object.freeze(copy);
}
const minted = new WeakSet<object>();

/**
 * A granted capability. Create one with {@linkcode grant}; the constructor refuses anyone else.
 *
 * @example
 * ```ts
 * import { grant } from "wasm-sandbox";
 *
 * const write = grant("soch:write", { keyPrefix: "scratch/" });
 * await runtime.loadPlugin("p", bytes, { capabilities: [write] });
 * write.revoke(); // from now on the plugin's writes answer PERMISSION_DENIED
 * console.log(write.capability, write.scope, write.revoked);
 * ```
 */
export class CapabilityToken<Scope = unknown> {
  /** The capability this token grants, e.g. `"soch:read"`. */
  readonly capability: string;
  /** Capability-specific limits (a {@linkcode SochScope}, an exec policy...): a deep, frozen copy made at grant(). */
  readonly scope: Readonly<Scope> | undefined;
  #revoked = false;

  /** @internal Use {@linkcode grant}. */
  constructor(key: symbol, capability: string, scope?: Scope) {
    if (key !== MINT) throw new SandboxError("CapabilityDenied", "capability tokens are minted only by grant()");
    this.capability = capability;
    this.scope = scope === undefined ? undefined : frozenCopy(scope, "scope", new Set()) as Readonly<Scope>;
    minted.add(this);
    Object.freeze(this);
  }

  /** True once {@linkcode revoke} was called. */
  get revoked(): boolean {
    return this.#revoked;
  }

  /** Withdraws the capability: calls after this fail with PERMISSION_DENIED. Cannot be undone. */
  revoke(): void {
    this.#revoked = true;
  }

  /** True when the token grants `capability` now. */
  allows(capability: string): boolean {
    return !this.#revoked && this.capability === capability;
  }
}

/**
 * Mints a capability token. The scope is copied deeply and frozen here, so
 * the token means what it meant when granted whatever the caller does later
 * with the object it passed; it must be plain data (objects, arrays and
 * primitives), else `InvalidArgument`.
 *
 * @example
 * ```ts
 * const read = grant("soch:read", { keyPrefix: "users/" });
 * await runtime.loadPlugin("p", bytes, { capabilities: [read] });
 * read.revoke(); // later calls to soch_read return PERMISSION_DENIED
 * ```
 */
export function grant<Scope = unknown>(capability: string, scope?: Scope): CapabilityToken<Scope> {
  if (typeof capability !== "string" || !/^[a-z0-9_]+:[a-z0-9_*]+$/i.test(capability)) {
    throw new SandboxError("InvalidArgument", `"${String(capability)}" is not a capability name (expected "area:name")`);
  }
  return new CapabilityToken(MINT, capability, scope);
}

/** True only for tokens minted by {@linkcode grant} (not look-alike objects). */
export function isCapabilityToken(value: unknown): value is CapabilityToken {
  return typeof value === "object" && value !== null && minted.has(value);
}

/** The tokens one plugin holds, looked up by capability name. */
export class CapabilitySet {
  readonly #byName = new Map<string, CapabilityToken[]>();

  constructor(tokens: Iterable<unknown> = []) {
    for (const token of tokens) {
      if (!isCapabilityToken(token)) {
        throw new SandboxError("CapabilityDenied", "a capability was not a token minted by grant(); plain objects and names are not accepted");
      }
      const list = this.#byName.get(token.capability) ?? [];
      list.push(token);
      this.#byName.set(token.capability, list);
    }
  }

  /** The first unrevoked token for `capability`, if any. */
  find(capability: string): CapabilityToken | undefined {
    const tokens = this.#byName.get(capability);
    if (tokens === undefined) return undefined;
    for (let i = 0; i < tokens.length; i++) if (!tokens[i].revoked) return tokens[i];
    return undefined;
  }

  /** Every token granted for `capability`, revoked ones included (the bridge resolves them once, at link time). */
  tokensFor(capability: string): readonly CapabilityToken[] {
    return this.#byName.get(capability) ?? [];
  }

  /** True when some token for `capability` was granted, revoked or not (decides linking). */
  granted(capability: string): boolean {
    return this.#byName.has(capability);
  }

  names(): string[] {
    return [...this.#byName.keys()];
  }
}
