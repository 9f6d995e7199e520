/**
 * The `soch` namespace: `soch_read`, `soch_write`, `vector_search` and
 * `vector_put` over the injected {@linkcode HostContextProvider}
 * (docs/ABI.md). Bodies hold only their own logic; capability checks and
 * auditing are the bridge's.
 *
 * A token's {@linkcode SochScope} narrows it further: keys outside its
 * `keyPrefix` are PERMISSION_DENIED (and left out of search results), and a
 * `readOnly` scope refuses writes (of values and of vectors).
 *
 * @module
 */
import { SandboxError } from "../errors.ts";
import { AbiCode } from "./abi_codes.ts";
import { Capabilities } from "./capabilities.ts";
import type { SochScope } from "./capabilities.ts";
import { defineRegistrar } from "./registrar.ts";
import type { HostCallContext, HostFunctionRegistrar } from "./registrar.ts";

/**
 * The data behind the soch functions, injected by the host per runtime or per
 * plugin (`provider` in the config or the plugin's options).
 *
 * @example
 * ```ts
 * import { WasmSandboxRuntime } from "wasm-sandbox";
 * import type { HostContextProvider } from "wasm-sandbox";
 *
 * // Read-only values from a Map; no vector index.
 * const values = new Map([["greeting", new TextEncoder().encode("hello")]]);
 * const provider: HostContextProvider = {
 *   read: (key) => values.get(key)?.slice(),
 *   write: () => { throw new Error("read-only store"); }, // the guest sees UNAVAILABLE
 *   vectorSearch: () => [],
 * };
 * const runtime = new WasmSandboxRuntime({ provider });
 * ```
 */
export interface HostContextProvider {
  read(key: string): Uint8Array | undefined;
  /**
   * Optional fast path of `read`: the stored bytes themselves, uncopied.
   * `soch_read` only copies them into guest memory and never modifies them,
   * so a provider may skip the defensive copy `read` makes for other callers.
   */
  readView?(key: string): Uint8Array | undefined;
  write(key: string, value: Uint8Array): void;
  /**
   * The `k` entries most similar to `query` by cosine similarity, best first,
   * among the keys `filter` accepts (all when omitted).
   */
  vectorSearch(query: Float32Array, k: number, filter?: (key: string) => boolean): Array<{ key: string; score: number }>;
  /**
   * Stores (or replaces) the vector indexed under `key`, under the rules of
   * {@linkcode AsyncHostContextProvider.vectorPut}. Optional here so existing
   * providers stay valid; `soch.vector_put` answers UNAVAILABLE when it is absent.
   */
  vectorPut?(key: string, vector: Float32Array): void;
}

/**
 * The asynchronous form of {@linkcode HostContextProvider}, for stores
 * behind I/O (a database, a service). The contract, which every provider
 * (sync or async) keeps so that guests cannot tell them apart:
 *
 * - **Keys** are 1 to `maxKeyBytes` bytes of valid UTF-8 (lib/host/soch_keys.ts);
 *   values are bytes. Values and vectors are two indexes over one key space.
 * - **One dimension per store**: set by the host, or fixed by the first vector
 *   the store receives. A vector or query of another dimension afterwards is
 *   refused with a {@linkcode SochProviderError} carrying INVALID_ARGUMENT.
 * - Vectors and queries with a NaN or infinite component, or of zero length,
 *   are refused the same way. Vectors are kept as float32 unit vectors.
 * - **Similarity** is cosine, computed as in lib/host/soch_vector_math.ts;
 *   results come best first, ties broken by key (smaller first, JS string order).
 * - **`filter`** applies before the top k is taken: a search returns the `k`
 *   best among the keys the filter accepts, fewer only when fewer exist. The
 *   namespace passes a token's `keyPrefix` this way, so keys outside it never appear.
 * - A write whose Promise resolved is visible to every later operation on the
 *   same provider, from any caller (several plugins may share one instance).
 * - Limits are refused with LIMIT_EXCEEDED, bad input with INVALID_ARGUMENT;
 *   other failures reject with any error (the namespace answers UNAVAILABLE).
 */
export interface AsyncHostContextProvider {
  /**
   * Marks the provider as asynchronous: the soch functions then answer with
   * promises, so a plugin using them runs with JSPI or in a worker
   * (docs/ISOLATION.md) and is called with `await plugin.call(...)`.
   */
  readonly async: true;
  /** The value under `key` (a copy the caller owns), or undefined. */
  read(key: string): Promise<Uint8Array | undefined>;
  /** Stores a copy of `value` under `key`, replacing any previous value. */
  write(key: string, value: Uint8Array): Promise<void>;
  /** The `k` entries most similar to `query`, best first, among the keys `filter` accepts. */
  vectorSearch(query: Float32Array, k: number, filter?: (key: string) => boolean): Promise<Array<{ key: string; score: number }>>;
  /** Stores (or replaces) the vector indexed under `key`. */
  vectorPut(key: string, vector: Float32Array): Promise<void>;
  /** Releases the store; later calls fail. */
  close(): Promise<void>;
}

/** Size limits the namespace enforces before the provider sees anything. */
export interface SochLimits {
  maxKeyBytes: number;
  maxValueBytes: number;
  maxDimensions: number;
  maxResults: number;
}

/** Default limits. */
export const DEFAULT_SOCH_LIMITS: Readonly<SochLimits> = Object.freeze({
  maxKeyBytes: 1024,
  maxValueBytes: 1 << 20,
  maxDimensions: 4096,
  maxResults: 1000,
});

/** An error a provider may throw to return a specific ABI code instead of UNAVAILABLE. */
export class SochProviderError extends Error {
  readonly abiCode: AbiCode;
  constructor(abiCode: AbiCode, message: string) {
    super(message);
    this.name = "SochProviderError";
    this.abiCode = abiCode;
  }
}

const encoder = new TextEncoder();

function scopeOf(ctx: HostCallContext): SochScope {
  return (ctx.token?.scope ?? {}) as SochScope;
}

function readKey(ctx: HostCallContext, ptr: number, len: number, limits: SochLimits): string | number {
  if (len >>> 0 === 0) return AbiCode.INVALID_ARGUMENT;
  if (len >>> 0 > limits.maxKeyBytes) return AbiCode.LIMIT_EXCEEDED;
  return ctx.memory.readUtf8(ptr, len); // invalid UTF-8 or range: InvalidArgument → INVALID_ARGUMENT
}

function inScope(ctx: HostCallContext, key: string): boolean {
  const prefix = scopeOf(ctx).keyPrefix;
  return prefix === undefined || key.startsWith(prefix);
}

/** Either kind of provider. */
export type SochProvider = HostContextProvider | AsyncHostContextProvider;

/** The ABI code a provider failure stands for. */
function failureCode(err: unknown): number {
  if (err instanceof SochProviderError) return err.abiCode;
  if (err instanceof SandboxError && err.code === "InvalidArgument") return AbiCode.INVALID_ARGUMENT;
  return AbiCode.UNAVAILABLE;
}

/**
 * Calls the provider and hands `finish` its answer, or the ABI code of its
 * failure; with an async provider, once the promise settles. The guest's
 * memory is only read before the call and written in `finish` (the guest is
 * suspended meanwhile, and its memory may have grown: `respond()` re-derives its view).
 */
function settle<T>(
  ctx: HostCallContext,
  op: () => T | Promise<T>,
  finish: (answer: T | number) => bigint,
  explainFailure = false,
): bigint | Promise<bigint> {
  const failed = (err: unknown) => {
    // The provider's reason (e.g. the store's dimension) goes to the audit record.
    if (explainFailure && err instanceof Error) ctx.explain(err.message);
    return finish(failureCode(err));
  };
  let answer: T | Promise<T>;
  try {
    answer = op();
  } catch (err) {
    return failed(err);
  }
  // Any thenable is awaited, not only this realm's Promise: taken as a value, a pending write would answer 0 (done).
  return isThenable(answer) ? Promise.resolve(answer).then(finish, failed) : finish(answer as T);
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (typeof value === "object" || typeof value === "function") && value !== null &&
    typeof (value as { then?: unknown }).then === "function";
}

/**
 * Reads `dim` little-endian f32 values at `ptr` as a vector to store, or
 * returns the ABI code refusing it. The namespace checks what needs no
 * knowledge of the store (length, finiteness, direction) so that every
 * provider refuses alike; the store's dimension rule is the provider's.
 */
function readVector(ctx: HostCallContext, ptr: number, dim: number, limits: SochLimits): Float32Array | number {
  if (dim >>> 0 === 0) return AbiCode.INVALID_ARGUMENT;
  if (dim >>> 0 > limits.maxDimensions) return AbiCode.LIMIT_EXCEEDED;
  const vector = ctx.memory.readF32Array(ptr, dim); // out of range: InvalidArgument → INVALID_ARGUMENT
  if (!vector.every(Number.isFinite)) return AbiCode.INVALID_ARGUMENT;
  // The zero vector has no direction, so no cosine with anything.
  if (vector.every((x) => x === 0)) return AbiCode.INVALID_ARGUMENT;
  return vector;
}

/**
 * The `soch` registrar over `provider`. Over an async provider its functions
 * are async host functions; over a sync one they answer at once.
 */
export function sochNamespace(provider: SochProvider, limits: SochLimits = DEFAULT_SOCH_LIMITS): HostFunctionRegistrar {
  const isAsync = "async" in provider && provider.async === true;
  const read = (key: string) => ("readView" in provider && provider.readView ? provider.readView(key) : provider.read(key));
  const { vectorPut } = provider;
  return defineRegistrar("soch", {
    soch_read: {
      params: ["i32", "i32", "i32", "i32"],
      results: ["i64"],
      capability: Capabilities.SochRead,
      async: isAsync,
      call(ctx, keyPtr: number, keyLen: number, outPtr: number, outCap: number) {
        const key = readKey(ctx, keyPtr, keyLen, limits);
        if (typeof key === "number") return BigInt(key);
        if (!inScope(ctx, key)) return BigInt(AbiCode.PERMISSION_DENIED);
        return settle(ctx, () => read(key), (value) => {
          if (typeof value === "number") return BigInt(value);
          if (value === undefined) return BigInt(AbiCode.NOT_FOUND);
          if (!(value instanceof Uint8Array)) return BigInt(AbiCode.UNAVAILABLE);
          return ctx.respond(value, outPtr, outCap);
        });
      },
    },
    soch_write: {
      params: ["i32", "i32", "i32", "i32"],
      results: ["i64"],
      capability: Capabilities.SochWrite,
      async: isAsync,
      call(ctx, keyPtr: number, keyLen: number, valPtr: number, valLen: number) {
        const key = readKey(ctx, keyPtr, keyLen, limits);
        if (typeof key === "number") return BigInt(key);
        if (!inScope(ctx, key) || scopeOf(ctx).readOnly) return BigInt(AbiCode.PERMISSION_DENIED);
        if (valLen >>> 0 > limits.maxValueBytes) return BigInt(AbiCode.LIMIT_EXCEEDED);
        const value = ctx.memory.read(valPtr, valLen);
        return settle(ctx, () => provider.write(key, value), (result) => BigInt(typeof result === "number" ? result : 0));
      },
    },
    vector_search: {
      params: ["i32", "i32", "i32", "i32", "i32"],
      results: ["i64"],
      capability: Capabilities.SochVectorSearch,
      async: isAsync,
      call(ctx, queryPtr: number, dim: number, k: number, outPtr: number, outCap: number) {
        if (dim >>> 0 === 0 || (k | 0) <= 0) return BigInt(AbiCode.INVALID_ARGUMENT);
        if (dim >>> 0 > limits.maxDimensions || k > limits.maxResults) return BigInt(AbiCode.LIMIT_EXCEEDED);
        const query = ctx.memory.readF32Array(queryPtr, dim);
        if (!query.every(Number.isFinite)) return BigInt(AbiCode.INVALID_ARGUMENT);
        const prefix = scopeOf(ctx).keyPrefix;
        const filter = prefix === undefined ? undefined : (key: string) => key.startsWith(prefix);
        return settle(ctx, () => provider.vectorSearch(query, k, filter), (hits) => {
          if (typeof hits === "number") return BigInt(hits);
          if (!Array.isArray(hits)) return BigInt(AbiCode.UNAVAILABLE);
          // Filter again: a provider that ignores `filter` must not leak keys outside the scope.
          const visible = (filter ? hits.filter((h) => filter(h.key)) : hits).slice(0, k);
          const json = JSON.stringify(visible.map((h) => ({ key: h.key, score: h.score })));
          return ctx.respond(encoder.encode(json), outPtr, outCap);
        });
      },
    },
    vector_put: {
      params: ["i32", "i32", "i32", "i32"],
      results: ["i64"],
      capability: Capabilities.SochVectorWrite,
      async: isAsync,
      call(ctx, keyPtr: number, keyLen: number, vecPtr: number, dim: number) {
        const key = readKey(ctx, keyPtr, keyLen, limits);
        if (typeof key === "number") return BigInt(key);
        if (!inScope(ctx, key) || scopeOf(ctx).readOnly) return BigInt(AbiCode.PERMISSION_DENIED);
        const vector = readVector(ctx, vecPtr, dim, limits);
        if (typeof vector === "number") return BigInt(vector);
        if (vectorPut === undefined) {
          ctx.explain("the soch provider cannot store vectors (it has no vectorPut)");
          return BigInt(AbiCode.UNAVAILABLE);
        }
        return settle(
          ctx,
          () => vectorPut.call(provider, key, vector),
          (result) => BigInt(typeof result === "number" ? result : 0),
          true,
        );
      },
    },
  });
}
