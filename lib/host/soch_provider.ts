/**
 * The default soch data provider: an in-memory key → bytes map plus an exact
 * cosine-similarity vector index, with limits that refuse bad input with a
 * stable ABI code ({@linkcode SochProviderError}) instead of an arbitrary
 * exception.
 *
 * Values and vectors live in two separate maps over the same key space (same
 * validation): a key may have a value, a vector, or both, so a search result
 * `key` can be read with `soch_read` to fetch the document it indexes.
 *
 * @module
 */
import { SandboxError } from "../errors.ts";
import { AbiCode } from "./abi_codes.ts";
import { DEFAULT_MAX_KEY_BYTES, validateSochKey } from "./soch_keys.ts";
import { SochProviderError } from "./soch_namespace.ts";
import type { HostContextProvider } from "./soch_namespace.ts";
import { TopK } from "./soch_top_k.ts";
import { normalizeSochVector as normalize, unitCosine } from "./soch_vector_math.ts";
import { decodeSochSnapshot, encodeSochSnapshot } from "./soch_snapshot.ts";
import type { SochSnapshot } from "./soch_snapshot.ts";

/** Limits of a {@linkcode DefaultHostContextProvider}. */
export interface SochProviderLimits {
  /** Longest key, in UTF-8 bytes (default 1024). */
  maxKeyBytes: number;
  /** Largest value, in bytes (default 1 MiB). */
  maxValueBytes: number;
  /** Most values stored (default 100 000). */
  maxEntries: number;
  /** Most value bytes stored in total (default 64 MiB). */
  maxTotalValueBytes: number;
  /** Most vectors stored (default 100 000). */
  maxVectors: number;
  /** Largest vector dimension (default 4096). */
  maxDimensions: number;
  /** Largest `k` of a search (default 1000). */
  maxResults: number;
}

/** The defaults. */
export const DEFAULT_SOCH_PROVIDER_LIMITS: Readonly<SochProviderLimits> = Object.freeze({
  maxKeyBytes: DEFAULT_MAX_KEY_BYTES,
  maxValueBytes: 1 << 20,
  maxEntries: 100_000,
  maxTotalValueBytes: 64 << 20,
  maxVectors: 100_000,
  maxDimensions: 4096,
  maxResults: 1000,
});

/** Options of {@linkcode DefaultHostContextProvider}. */
export interface SochProviderOptions {
  limits?: Partial<SochProviderLimits>;
  /** Fixes the vector dimension up front; otherwise the first vector stored sets it. */
  dimension?: number;
}

/** One search hit: a key and its cosine similarity to the query, in [-1, 1]. */
export interface SochSearchHit {
  key: string;
  score: number;
}

function fail(code: AbiCode, message: string): never {
  throw new SochProviderError(code, message);
}

/**
 * The default {@linkcode HostContextProvider}.
 *
 * @example
 * ```ts
 * const soch = new DefaultHostContextProvider();
 * soch.write("doc:1", new TextEncoder().encode("hello"));
 * soch.upsertVector("doc:1", new Float32Array([1, 0, 0]));
 * soch.vectorSearch(new Float32Array([0.9, 0.1, 0]), 5); // [{ key: "doc:1", score: 0.99... }]
 * ```
 */
export class DefaultHostContextProvider implements HostContextProvider {
  readonly limits: Readonly<SochProviderLimits>;
  readonly #values = new Map<string, Uint8Array>();
  #valueBytes = 0;
  #dimension: number | undefined;
  /** Unit vectors, one row of `#dimension` floats per key, packed. */
  #matrix = new Float32Array(0);
  readonly #rowKeys: string[] = [];
  readonly #rowOf = new Map<string, number>();

  constructor(options: SochProviderOptions = {}) {
    const limits = { ...DEFAULT_SOCH_PROVIDER_LIMITS, ...options.limits };
    for (const [name, value] of Object.entries(limits)) {
      if (!Number.isSafeInteger(value) || value < 1) {
        throw new SandboxError("InvalidArgument", `soch limit ${name} must be a positive integer, got ${value}`);
      }
    }
    this.limits = Object.freeze(limits);
    if (options.dimension !== undefined) {
      if (!Number.isSafeInteger(options.dimension) || options.dimension < 1 || options.dimension > limits.maxDimensions) {
        throw new SandboxError("InvalidArgument", `soch dimension must be an integer in [1, ${limits.maxDimensions}]`);
      }
      this.#dimension = options.dimension;
    }
  }

  /** Builds a provider from the JSON of `--soch FILE.json` (see docs/ABI.md). Bad data is `InvalidArgument`. */
  static fromJSON(data: unknown, options: SochProviderOptions = {}): DefaultHostContextProvider {
    const snapshot = decodeSochSnapshot(data);
    const provider = new DefaultHostContextProvider({ ...options, dimension: options.dimension ?? snapshot.dimension });
    const at = (where: string, op: () => void) => {
      try {
        op();
      } catch (err) {
        if (err instanceof SochProviderError) throw new SandboxError("InvalidArgument", `soch data: ${where}: ${err.message}`);
        throw err;
      }
    };
    for (const [key, value] of snapshot.values) at(`values[${JSON.stringify(key)}]`, () => provider.write(key, value));
    for (const [key, vector] of snapshot.vectors) at(`vectors[${JSON.stringify(key)}]`, () => provider.upsertVector(key, vector));
    return provider;
  }

  /** The JSON form {@linkcode fromJSON} reads. Vectors come out unit-length (as stored). */
  toJSON(): SochSnapshot {
    const vectors = new Map<string, Float32Array>();
    for (const [key, row] of this.#rowOf) vectors.set(key, this.#row(row).slice());
    return encodeSochSnapshot({ dimension: this.#dimension, values: this.#values, vectors });
  }

  /** Number of values stored. */
  get size(): number {
    return this.#values.size;
  }

  /** Number of vectors stored. */
  get vectorCount(): number {
    return this.#rowKeys.length;
  }

  /** The vector dimension, once fixed. */
  get dimension(): number | undefined {
    return this.#dimension;
  }

  /** A copy of the value under `key`, or undefined. */
  read(key: string): Uint8Array | undefined {
    return this.readView(key)?.slice();
  }

  /** The stored bytes for `key`, uncopied: callers must not modify them (`soch_read` only copies them out). */
  readView(key: string): Uint8Array | undefined {
    const value = this.#values.get(key);
    // Only a valid key can have been stored (write validates it), so a hit needs no check.
    if (value === undefined) validateSochKey(key, this.limits.maxKeyBytes);
    return value;
  }

  /** Stores a copy of `value` under `key`, replacing any previous value. */
  write(key: string, value: Uint8Array): void {
    validateSochKey(key, this.limits.maxKeyBytes);
    if (!(value instanceof Uint8Array)) fail(AbiCode.INVALID_ARGUMENT, "a soch value must be bytes");
    const { maxValueBytes, maxEntries, maxTotalValueBytes } = this.limits;
    if (value.byteLength > maxValueBytes) fail(AbiCode.LIMIT_EXCEEDED, `a soch value is at most ${maxValueBytes} bytes`);
    const previous = this.#values.get(key);
    if (previous === undefined && this.#values.size >= maxEntries) {
      fail(AbiCode.LIMIT_EXCEEDED, `the soch store holds at most ${maxEntries} values`);
    }
    const total = this.#valueBytes - (previous?.byteLength ?? 0) + value.byteLength;
    if (total > maxTotalValueBytes) fail(AbiCode.LIMIT_EXCEEDED, `the soch store holds at most ${maxTotalValueBytes} value bytes`);
    this.#values.set(key, value.slice());
    this.#valueBytes = total;
  }

  /** Removes the value and the vector under `key`; true when either existed. */
  delete(key: string): boolean {
    const value = this.#values.get(key);
    if (value !== undefined) {
      this.#values.delete(key);
      this.#valueBytes -= value.byteLength;
    }
    const row = this.#rowOf.get(key);
    if (row !== undefined) this.#removeRow(row);
    return value !== undefined || row !== undefined;
  }

  /**
   * Stores (or replaces) the vector for `key`, as a unit vector. The first
   * vector fixes the dimension unless the constructor did; a different
   * length, a NaN or infinite component, or the zero vector is INVALID_ARGUMENT.
   */
  upsertVector(key: string, vector: Float32Array | readonly number[]): void {
    validateSochKey(key, this.limits.maxKeyBytes);
    const dimension = this.#checkDimension(vector.length, "vector");
    const unit = normalize(vector, `the vector for ${JSON.stringify(key)}`);
    let row = this.#rowOf.get(key);
    if (row === undefined) {
      if (this.#rowKeys.length >= this.limits.maxVectors) {
        fail(AbiCode.LIMIT_EXCEEDED, `the soch store holds at most ${this.limits.maxVectors} vectors`);
      }
      row = this.#rowKeys.length;
      this.#ensureRows(row + 1, dimension);
      this.#rowKeys.push(key);
      this.#rowOf.set(key, row);
      this.#dimension = dimension;
    }
    this.#matrix.set(unit, row * dimension);
  }

  /**
   * The contract's name for {@linkcode upsertVector} (what `soch.vector_put`
   * calls): stores `vector` for `key` as a unit vector, same rules.
   */
  vectorPut(key: string, vector: Float32Array): void {
    this.upsertVector(key, vector);
  }

  /**
   * The `k` keys whose vectors are most similar to `query` by cosine
   * similarity, best first (ties by key), among those `filter` accepts.
   * An empty store gives `[]`. A bounded heap keeps this O(n log k).
   */
  vectorSearch(query: Float32Array, k: number, filter?: (key: string) => boolean): SochSearchHit[] {
    if (!Number.isSafeInteger(k) || k < 1) fail(AbiCode.INVALID_ARGUMENT, `k must be a positive integer, got ${k}`);
    if (k > this.limits.maxResults) fail(AbiCode.LIMIT_EXCEEDED, `k is at most ${this.limits.maxResults}`);
    const dimension = this.#checkDimension(query.length, "query");
    const unit = normalize(query, "the query");
    const rows = this.#rowKeys.length;
    const top = new TopK(Math.min(k, rows), (row) => this.#rowKeys[row]);
    const matrix = this.#matrix;
    for (let row = 0, base = 0; row < rows; row++, base += dimension) {
      if (filter !== undefined && !filter(this.#rowKeys[row])) continue;
      top.offer(unitCosine(unit, matrix, base, dimension), row);
    }
    return top.sorted().map(({ row, score }) => ({ key: this.#rowKeys[row], score }));
  }

  #checkDimension(length: number, what: string): number {
    if (length === 0) fail(AbiCode.INVALID_ARGUMENT, `a ${what} must have at least one component`);
    if (length > this.limits.maxDimensions) fail(AbiCode.LIMIT_EXCEEDED, `a ${what} has at most ${this.limits.maxDimensions} components`);
    if (this.#dimension !== undefined && length !== this.#dimension) {
      fail(AbiCode.INVALID_ARGUMENT, `the ${what} has ${length} components; the store's vectors have ${this.#dimension}`);
    }
    return length;
  }

  #row(row: number): Float32Array {
    const d = this.#dimension!;
    return this.#matrix.subarray(row * d, row * d + d);
  }

  /** Grows the packed matrix geometrically so inserts stay amortized O(d). */
  #ensureRows(rows: number, dimension: number): void {
    if (this.#matrix.length >= rows * dimension) return;
    const grown = new Float32Array(Math.max(rows, Math.ceil((this.#matrix.length / dimension) * 2), 16) * dimension);
    grown.set(this.#matrix);
    this.#matrix = grown;
  }

  /** Swap-removes `row`: the last row moves into its place. */
  #removeRow(row: number): void {
    const last = this.#rowKeys.length - 1;
    const key = this.#rowKeys[row];
    if (row !== last) {
      const movedKey = this.#rowKeys[last];
      this.#matrix.copyWithin(row * this.#dimension!, last * this.#dimension!, (last + 1) * this.#dimension!);
      this.#rowKeys[row] = movedKey;
      this.#rowOf.set(movedKey, row);
    }
    this.#rowKeys.pop();
    this.#rowOf.delete(key);
  }
}
