/**
 * A persistent soch store on PGlite (Postgres compiled to WebAssembly) with
 * pgvector: the {@linkcode AsyncHostContextProvider} for data that must
 * outlive the process. Same contract and the same answers as the in-memory
 * {@linkcode DefaultHostContextProvider} (tests/host/soch_provider_differential_test.ts).
 *
 * Tables: `soch_values(key, value bytea)`, `soch_vectors(key, embedding
 * vector(d), unit bytea)` and `soch_meta(name, value)` (schema version,
 * dimension). `embedding` is what pgvector orders by; `unit` holds the same
 * float32 unit vector as raw little-endian bytes. pgvector sums inner
 * products in float32, which can reorder near-ties, so candidates are
 * fetched in pgvector's order and re-ranked in JS with the arithmetic the
 * in-memory provider uses (lib/host/soch_vector_math.ts), reading `unit`
 * rather than pgvector's decimal text so no rounding step can differ.
 *
 * Durability: see docs/SOCH.md. Mutations run one at a time (a promise
 * queue), so the quota bookkeeping kept here matches the tables.
 *
 * @module
 */
import type { PGlite } from "@electric-sql/pglite";
import { SandboxError } from "../errors.ts";
import { AbiCode } from "./abi_codes.ts";
import { loadPglite } from "./_pglite_loader.ts";
import { lockSochDir } from "./soch_dir_lock.ts";
import type { SochDirLock } from "./soch_dir_lock.ts";
import type { PackageImporter } from "./_pglite_loader.ts";
import { validateSochKey } from "./soch_keys.ts";
import { SochProviderError } from "./soch_namespace.ts";
import type { AsyncHostContextProvider } from "./soch_namespace.ts";
import { DEFAULT_SOCH_PROVIDER_LIMITS } from "./soch_provider.ts";
import type { SochProviderLimits, SochSearchHit } from "./soch_provider.ts";
import { decodeSochSnapshot, encodeSochSnapshot } from "./soch_snapshot.ts";
import type { SochSnapshot } from "./soch_snapshot.ts";
import { TopK } from "./soch_top_k.ts";
import { normalizeSochVector, unitCosine } from "./soch_vector_math.ts";

/** Options of {@linkcode PgliteHostContextProvider.open}. */
export interface PgliteSochOptions {
  /** The same limits as the in-memory provider; totals are counted over the whole database. */
  limits?: Partial<SochProviderLimits>;
  /** Fixes the vector dimension of a new store; must match an existing store's. */
  dimension?: number;
  /**
   * `"exact"` (default) ranks every vector; `"hnsw"` adds a pgvector HNSW
   * index and searches it (approximate: see docs/SOCH.md for measured recall).
   */
  index?: "exact" | "hnsw";
  /** For tests: how the optional packages are imported. */
  importer?: PackageImporter;
}

/** pgvector's HNSW index takes at most this many dimensions for `vector`. */
const HNSW_MAX_DIMENSIONS = 2000;
/** pgvector's `hnsw.ef_search` range. */
const HNSW_MAX_EF_SEARCH = 1000;
const SCHEMA_VERSION = "1";
const FIRST_BATCH_MIN = 16;
const BATCH_MAX = 8192;

/** Anything that runs a query: the database or an open transaction. */
interface Queryable {
  query<T>(sql: string, params?: unknown[]): Promise<{ rows: T[] }>;
}

function fail(code: AbiCode, message: string): never {
  throw new SochProviderError(code, message);
}

function invalid(message: string): never {
  throw new SandboxError("InvalidArgument", message);
}

/** pgvector's text form of a float32 vector; JS prints each value exactly enough for strtof to get it back. */
function vectorLiteral(unit: Float32Array): string {
  return `[${unit.join(",")}]`;
}

function unitBytes(unit: Float32Array): Uint8Array {
  const bytes = new Uint8Array(unit.length * 4);
  const view = new DataView(bytes.buffer);
  for (let i = 0; i < unit.length; i++) view.setFloat32(i * 4, unit[i], true);
  return bytes;
}

function unitFromBytes(bytes: Uint8Array): Float32Array {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const unit = new Float32Array(bytes.byteLength / 4);
  for (let i = 0; i < unit.length; i++) unit[i] = view.getFloat32(i * 4, true);
  return unit;
}

/**
 * The PGlite-backed {@linkcode AsyncHostContextProvider}.
 *
 * @example
 * ```ts
 * const soch = await PgliteHostContextProvider.open("./soch-data", { dimension: 3 });
 * await soch.write("doc:1", new TextEncoder().encode("hello"));
 * await soch.vectorPut("doc:1", new Float32Array([1, 0, 0]));
 * await soch.vectorSearch(new Float32Array([0.9, 0.1, 0]), 5); // [{ key: "doc:1", score: 0.99... }]
 * await soch.close();
 * ```
 */
export class PgliteHostContextProvider implements AsyncHostContextProvider {
  /** Its soch functions answer with promises (docs/ISOLATION.md). */
  readonly async = true as const;
  readonly limits: Readonly<SochProviderLimits>;
  readonly index: "exact" | "hnsw";
  readonly #db: PGlite;
  #dimension: number | undefined;
  #valueCount = 0;
  #valueBytes = 0;
  #vectorCount = 0;
  /** The tail of the mutation queue. */
  #queue: Promise<unknown> = Promise.resolve();
  #closed = false;
  /** The directory's lock (soch_dir_lock.ts), held from open to close; none for an in-memory store. */
  readonly #lock: SochDirLock | undefined;

  private constructor(db: PGlite, limits: Readonly<SochProviderLimits>, index: "exact" | "hnsw", lock: SochDirLock | undefined) {
    this.#db = db;
    this.#lock = lock;
    this.limits = limits;
    this.index = index;
  }

  /**
   * Opens (creating on first use) the store in directory `dir`, or an
   * in-memory one when `dir` is undefined. Bad options are `InvalidArgument`;
   * missing optional packages are `NotFound`.
   */
  static async open(dir: string | undefined, options: PgliteSochOptions = {}): Promise<PgliteHostContextProvider> {
    const limits = { ...DEFAULT_SOCH_PROVIDER_LIMITS, ...options.limits };
    for (const [name, value] of Object.entries(limits)) {
      if (!Number.isSafeInteger(value) || value < 1) invalid(`soch limit ${name} must be a positive integer, got ${value}`);
    }
    const index = options.index ?? "exact";
    if (index !== "exact" && index !== "hnsw") invalid(`soch index must be "exact" or "hnsw", got ${JSON.stringify(index)}`);
    const { dimension } = options;
    if (dimension !== undefined && (!Number.isSafeInteger(dimension) || dimension < 1 || dimension > limits.maxDimensions)) {
      invalid(`soch dimension must be an integer in [1, ${limits.maxDimensions}]`);
    }
    if (index === "hnsw" && dimension !== undefined && dimension > HNSW_MAX_DIMENSIONS) {
      invalid(`an HNSW index takes at most ${HNSW_MAX_DIMENSIONS} dimensions, not ${dimension}`);
    }
    if (dir !== undefined && (typeof dir !== "string" || dir === "" || dir.includes("://"))) {
      invalid("the soch store directory must be a plain filesystem path (or undefined for an in-memory store)");
    }
    const { PGlite, vector } = await loadPglite(options.importer);
    // Two processes over one directory lose each other's writes: one at a time (soch_dir_lock.ts).
    const lock = dir === undefined ? undefined : await lockSochDir(dir);
    let db: PGlite | undefined;
    try {
      // relaxedDurability stays off (its default): a query resolves only after PGlite has handed its writes to the filesystem.
      db = await PGlite.create(dir, { extensions: { vector }, relaxedDurability: false });
      const store = new PgliteHostContextProvider(db, Object.freeze(limits), index, lock);
      await store.#init(dimension);
      return store;
    } catch (err) {
      await db?.close().catch(() => {});
      await lock?.release().catch(() => {});
      throw err;
    }
  }

  async #init(dimension: number | undefined): Promise<void> {
    await this.#db.exec(`
      CREATE EXTENSION IF NOT EXISTS vector;
      CREATE TABLE IF NOT EXISTS soch_meta (name text PRIMARY KEY, value text NOT NULL);
      CREATE TABLE IF NOT EXISTS soch_values (key text COLLATE "C" PRIMARY KEY, value bytea NOT NULL);
      CREATE TABLE IF NOT EXISTS soch_vectors (key text COLLATE "C" PRIMARY KEY, embedding vector NOT NULL, unit bytea NOT NULL);
      INSERT INTO soch_meta VALUES ('schema', '${SCHEMA_VERSION}') ON CONFLICT DO NOTHING;
    `);
    const meta = await this.#db.query<{ name: string; value: string }>("SELECT name, value FROM soch_meta");
    const get = (name: string) => meta.rows.find((row) => row.name === name)?.value;
    if (get("schema") !== SCHEMA_VERSION) {
      invalid(`the soch store has schema version ${get("schema")}; this version of wasm-sandbox reads ${SCHEMA_VERSION}`);
    }
    const stored = get("dimension");
    this.#dimension = stored === undefined ? undefined : Number(stored);
    if (dimension !== undefined) {
      if (this.#dimension === undefined) await this.#db.transaction((tx) => this.#fixDimension(tx, dimension));
      else if (this.#dimension !== dimension) invalid(`the soch store's vectors have ${this.#dimension} components, not ${dimension}`);
      this.#dimension = dimension;
    }
    if (this.index === "hnsw" && this.#dimension !== undefined) {
      if (this.#dimension > HNSW_MAX_DIMENSIONS) invalid(`an HNSW index takes at most ${HNSW_MAX_DIMENSIONS} dimensions; this store has ${this.#dimension}`);
      await this.#createHnsw(this.#db, this.#dimension);
    }
    const counts = await this.#db.query<{ values: number; bytes: string; vectors: number }>(`
      SELECT (SELECT count(*)::int FROM soch_values) AS values,
             (SELECT coalesce(sum(octet_length(value)), 0)::text FROM soch_values) AS bytes,
             (SELECT count(*)::int FROM soch_vectors) AS vectors`);
    this.#valueCount = counts.rows[0].values;
    this.#valueBytes = Number(counts.rows[0].bytes);
    this.#vectorCount = counts.rows[0].vectors;
  }

  /** Number of values stored. */
  get size(): number {
    return this.#valueCount;
  }

  /** Number of vectors stored. */
  get vectorCount(): number {
    return this.#vectorCount;
  }

  /** The vector dimension, once fixed. */
  get dimension(): number | undefined {
    return this.#dimension;
  }

  /** The value under `key`, or undefined. */
  async read(key: string): Promise<Uint8Array | undefined> {
    this.#checkOpen();
    validateSochKey(key, this.limits.maxKeyBytes);
    const { rows } = await this.#db.query<{ value: Uint8Array }>("SELECT value FROM soch_values WHERE key = $1", [key]);
    return rows.length === 0 ? undefined : new Uint8Array(rows[0].value);
  }

  /** Stores a copy of `value` (taken now, before any await) under `key`. */
  write(key: string, value: Uint8Array): Promise<void> {
    try {
      this.#checkOpen();
      const copy = this.#checkValue(key, value);
      return this.#serial(() => this.#storeValue(this.#db, key, copy));
    } catch (err) {
      return Promise.reject(err);
    }
  }

  /**
   * Stores (or replaces) the vector for `key` as a unit vector. The first
   * vector fixes the dimension unless the host did; a different length, a
   * NaN or infinite component, or the zero vector is INVALID_ARGUMENT.
   */
  vectorPut(key: string, vector: Float32Array | readonly number[]): Promise<void> {
    try {
      this.#checkOpen();
      const unit = this.#checkVector(key, vector);
      return this.#serial(() => this.#storeVector(this.#db, key, unit));
    } catch (err) {
      return Promise.reject(err);
    }
  }

  /**
   * The `k` keys whose vectors are most similar to `query`, best first
   * (ties by key), among those `filter` accepts: candidates come from
   * pgvector in ranked order, in growing batches, until `k` are accepted
   * and no row not yet fetched can rank among them, or the store is exhausted.
   */
  async vectorSearch(query: Float32Array, k: number, filter?: (key: string) => boolean): Promise<SochSearchHit[]> {
    this.#checkOpen();
    if (!Number.isSafeInteger(k) || k < 1) fail(AbiCode.INVALID_ARGUMENT, `k must be a positive integer, got ${k}`);
    if (k > this.limits.maxResults) fail(AbiCode.LIMIT_EXCEEDED, `k is at most ${this.limits.maxResults}`);
    this.#checkDimension(query.length, "query");
    const unit = normalizeSochVector(query, "the query");
    if (this.#dimension === undefined) return []; // no vector was ever stored
    if (this.index === "exact") {
      // Most searches end after one batch: one statement, its own snapshot, no transaction round trips.
      const hits = await this.#rank(this.#db, unit, k, filter, false, 1);
      if (hits !== undefined) return hits;
    }
    return await this.#db.transaction(async (tx) => {
      const hits = await this.#rank(tx, unit, k, filter, this.index === "hnsw");
      // An HNSW scan can end early (pgvector's scan budget): never return fewer than k while more rows match.
      return hits ?? (await this.#rank(tx, unit, k, filter, false))!;
    });
  }

  /**
   * Ranks candidates from one ordered scan. Returns undefined when an index
   * scan ran dry before the table did with fewer than `k` accepted, or when
   * `maxBatches` were not enough (pages after the first need one snapshot: a transaction).
   */
  async #rank(
    q: Queryable,
    unit: Float32Array,
    k: number,
    filter: ((key: string) => boolean) | undefined,
    useIndex: boolean,
    maxBatches = Infinity,
  ): Promise<SochSearchHit[] | undefined> {
    const dimension = unit.length;
    // |pgvector's float32 sum − the exact inner product| ≤ γ_d·Σ|aᵢbᵢ| ≈ d·2⁻²⁴ for unit
    // vectors; twice that (plus slack) bounds how far its order can stray from ours.
    const margin = (dimension + 2) * 2 ** -23;
    const literal = vectorLiteral(unit);
    const keys: string[] = [];
    // Room for k, not min(k, rows): the row count kept here may lag a write this transaction already sees.
    const top = new TopK(k, (row) => keys[row]);
    let batch = Math.max(2 * k, FIRST_BATCH_MIN);
    let offset = 0;
    // (Exact scans order by key too, which an HNSW index cannot serve, so they never use it.)
    if (useIndex) await q.query("SET LOCAL hnsw.iterative_scan = strict_order");
    for (let batches = 1;; batches++) {
      if (useIndex) await q.query(`SET LOCAL hnsw.ef_search = ${Math.min(HNSW_MAX_EF_SEARCH, Math.max(40, offset + batch))}`);
      // Exact scans order by key too, so pages never overlap; an HNSW index only orders by distance.
      const { rows } = await q.query<{ key: string; unit: Uint8Array; distance: number }>(
        `SELECT key, unit, embedding <#> $1::vector AS distance FROM soch_vectors
         ORDER BY embedding <#> $1::vector${useIndex ? "" : ", key"} LIMIT $2 OFFSET $3`,
        [literal, batch, offset],
      );
      for (const row of rows) {
        if (filter !== undefined && !filter(row.key)) continue;
        keys.push(row.key);
        top.offer(unitCosine(unit, unitFromBytes(row.unit), 0, dimension), keys.length - 1);
      }
      offset += rows.length;
      if (rows.length < batch) {
        if (useIndex && !top.full) {
          const count = await q.query<{ n: number }>("SELECT count(*)::int AS n FROM soch_vectors");
          if (offset < count.rows[0].n) return undefined;
        }
        break;
      }
      // `<#>` is the negated inner product; every row not fetched yet scores at most -distance (± margin).
      const bound = -rows[rows.length - 1].distance + margin;
      if (top.full && bound < top.worstScore) break;
      if (batches >= maxBatches) return undefined;
      batch = Math.min(batch * 2, BATCH_MAX);
    }
    return top.sorted().map(({ row, score }) => ({ key: keys[row], score }));
  }

  /**
   * Loads the JSON form of `--soch FILE.json` (what
   * {@linkcode DefaultHostContextProvider.toJSON} writes) in one transaction:
   * all of it or, on bad data (`InvalidArgument` naming the bad part), none.
   */
  importJSON(data: unknown): Promise<void> {
    try {
      this.#checkOpen();
      const snapshot = decodeSochSnapshot(data);
      if (snapshot.dimension !== undefined && this.#dimension !== undefined && snapshot.dimension !== this.#dimension) {
        invalid(`soch data: dimension ${snapshot.dimension} does not match the store's ${this.#dimension}`);
      }
      return this.#serial(async () => {
        const saved = [this.#dimension, this.#valueCount, this.#valueBytes, this.#vectorCount] as const;
        const at = async (where: string, op: () => Promise<void>) => {
          try {
            await op();
          } catch (err) {
            if (err instanceof SochProviderError) invalid(`soch data: ${where}: ${err.message}`);
            throw err;
          }
        };
        try {
          await this.#db.transaction(async (tx) => {
            if (snapshot.dimension !== undefined && this.#dimension === undefined) {
              await at("dimension", () => this.#fixDimension(tx, snapshot.dimension!));
            }
            for (const [key, value] of snapshot.values) {
              await at(`values[${JSON.stringify(key)}]`, () => this.#storeValue(tx, key, this.#checkValue(key, value)));
            }
            for (const [key, vector] of snapshot.vectors) {
              await at(`vectors[${JSON.stringify(key)}]`, () => this.#storeVector(tx, key, this.#checkVector(key, vector)));
            }
          });
        } catch (err) {
          [this.#dimension, this.#valueCount, this.#valueBytes, this.#vectorCount] = saved;
          throw err;
        }
      });
    } catch (err) {
      return Promise.reject(err);
    }
  }

  /** The JSON form {@linkcode importJSON} reads, keys in code-point order. Vectors come out unit-length (as stored). */
  async exportJSON(): Promise<SochSnapshot> {
    this.#checkOpen();
    return await this.#db.transaction(async (tx) => {
      const values = new Map<string, Uint8Array>();
      const vectors = new Map<string, Float32Array>();
      const v = await tx.query<{ key: string; value: Uint8Array }>("SELECT key, value FROM soch_values ORDER BY key");
      for (const row of v.rows) values.set(row.key, new Uint8Array(row.value));
      const e = await tx.query<{ key: string; unit: Uint8Array }>("SELECT key, unit FROM soch_vectors ORDER BY key");
      for (const row of e.rows) vectors.set(row.key, unitFromBytes(row.unit));
      return encodeSochSnapshot({ dimension: this.#dimension, values, vectors });
    });
  }

  /** Waits for queued writes, closes the database, then releases the directory. Later calls fail with `InvalidState`. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    try {
      await this.#queue;
      await this.#db.close();
    } finally {
      await this.#lock?.release();
    }
  }

  #checkOpen(): void {
    if (this.#closed) throw new SandboxError("InvalidState", "the soch store is closed");
  }

  /** Runs mutations one after another; a failed one does not block the next. */
  #serial<T>(op: () => Promise<T>): Promise<T> {
    const result = this.#queue.then(op);
    this.#queue = result.catch(() => {});
    return result;
  }

  /** The checks that need no database, done when the call is made; returns a copy of `value`. */
  #checkValue(key: string, value: Uint8Array): Uint8Array {
    validateSochKey(key, this.limits.maxKeyBytes);
    if (!(value instanceof Uint8Array)) fail(AbiCode.INVALID_ARGUMENT, "a soch value must be bytes");
    if (value.byteLength > this.limits.maxValueBytes) fail(AbiCode.LIMIT_EXCEEDED, `a soch value is at most ${this.limits.maxValueBytes} bytes`);
    return value.slice();
  }

  async #storeValue(q: Queryable, key: string, value: Uint8Array): Promise<void> {
    const { maxEntries, maxTotalValueBytes } = this.limits;
    const previous = await q.query<{ n: number }>("SELECT octet_length(value) AS n FROM soch_values WHERE key = $1", [key]);
    const previousBytes = previous.rows[0]?.n;
    if (previousBytes === undefined && this.#valueCount >= maxEntries) {
      fail(AbiCode.LIMIT_EXCEEDED, `the soch store holds at most ${maxEntries} values`);
    }
    const total = this.#valueBytes - (previousBytes ?? 0) + value.byteLength;
    if (total > maxTotalValueBytes) fail(AbiCode.LIMIT_EXCEEDED, `the soch store holds at most ${maxTotalValueBytes} value bytes`);
    await q.query(
      "INSERT INTO soch_values (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
      [key, value],
    );
    if (previousBytes === undefined) this.#valueCount++;
    this.#valueBytes = total;
  }

  /** The checks that need no database; returns the unit vector (a copy). */
  #checkVector(key: string, vector: ArrayLike<number>): Float32Array {
    validateSochKey(key, this.limits.maxKeyBytes);
    this.#checkDimension(vector.length, "vector");
    return normalizeSochVector(vector, `the vector for ${JSON.stringify(key)}`);
  }

  async #storeVector(q: Queryable, key: string, unit: Float32Array): Promise<void> {
    // Checked again here: a vector queued earlier may have fixed the dimension since the call.
    this.#checkDimension(unit.length, "vector");
    const exists = await q.query("SELECT 1 FROM soch_vectors WHERE key = $1", [key]);
    if (exists.rows.length === 0 && this.#vectorCount >= this.limits.maxVectors) {
      fail(AbiCode.LIMIT_EXCEEDED, `the soch store holds at most ${this.limits.maxVectors} vectors`);
    }
    const put = (tx: Queryable) =>
      tx.query(
        `INSERT INTO soch_vectors (key, embedding, unit) VALUES ($1, $2::vector, $3)
         ON CONFLICT (key) DO UPDATE SET embedding = excluded.embedding, unit = excluded.unit`,
        [key, vectorLiteral(unit), unitBytes(unit)],
      );
    if (this.#dimension === undefined) {
      // The first vector fixes the dimension: the column type, the metadata and the row commit together.
      const fix = async (tx: Queryable) => {
        await this.#fixDimension(tx, unit.length);
        await put(tx);
      };
      try {
        if (q === this.#db) await this.#db.transaction(fix);
        else await fix(q);
      } catch (err) {
        this.#dimension = undefined;
        throw err;
      }
    } else {
      await put(q);
    }
    if (exists.rows.length === 0) this.#vectorCount++;
  }

  async #fixDimension(q: Queryable, dimension: number): Promise<void> {
    if (this.index === "hnsw" && dimension > HNSW_MAX_DIMENSIONS) {
      fail(AbiCode.LIMIT_EXCEEDED, `an HNSW-indexed soch store takes at most ${HNSW_MAX_DIMENSIONS} dimensions`);
    }
    await q.query(`ALTER TABLE soch_vectors ALTER COLUMN embedding TYPE vector(${dimension})`);
    await q.query("INSERT INTO soch_meta VALUES ('dimension', $1)", [String(dimension)]);
    if (this.index === "hnsw") await this.#createHnsw(q, dimension);
    // Set now so the rest of the transaction checks against it; callers undo it if the transaction fails.
    this.#dimension = dimension;
  }

  async #createHnsw(q: Queryable, dimension: number): Promise<void> {
    if (dimension > HNSW_MAX_DIMENSIONS) {
      fail(AbiCode.LIMIT_EXCEEDED, `an HNSW-indexed soch store takes at most ${HNSW_MAX_DIMENSIONS} dimensions`);
    }
    await q.query("CREATE INDEX IF NOT EXISTS soch_vectors_hnsw ON soch_vectors USING hnsw (embedding vector_ip_ops)");
  }

  #checkDimension(length: number, what: string): number {
    if (length === 0) fail(AbiCode.INVALID_ARGUMENT, `a ${what} must have at least one component`);
    if (length > this.limits.maxDimensions) fail(AbiCode.LIMIT_EXCEEDED, `a ${what} has at most ${this.limits.maxDimensions} components`);
    if (this.#dimension !== undefined && length !== this.#dimension) {
      fail(AbiCode.INVALID_ARGUMENT, `the ${what} has ${length} components; the store's vectors have ${this.#dimension}`);
    }
    return length;
  }
}
