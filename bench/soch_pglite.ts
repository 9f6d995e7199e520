// The soch providers side by side in one run: the in-memory
// DefaultHostContextProvider against PgliteHostContextProvider (an in-memory
// PGlite database, so disk speed is not measured) with exact search and with
// its HNSW index; reads, overwrites and top-10 searches per second, and the
// HNSW index's recall@10 against exact search over the same vectors.
// Run: node --import tsx bench/soch_pglite.ts   (or: deno run -A bench/soch_pglite.ts)
import { DefaultHostContextProvider } from "../lib/host/soch_provider.ts";
import { PgliteHostContextProvider } from "../lib/host/soch_pglite_provider.ts";
import { compareCases, isQuick, recordValue } from "./_harness.ts";

const VECTORS = isQuick() ? 2000 : 10_000;
const DIMENSION = 64;
const QUERIES = 200;
const K = 10;

/** Seeded so every run and runtime measures the same data. */
function prng(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = Math.imul(state ^ (state >>> 15), state | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}

const random = prng(42);
const vector = () => Float32Array.from({ length: DIMENSION }, () => random() * 2 - 1);
const memory = new DefaultHostContextProvider({ dimension: DIMENSION });
for (let i = 0; i < VECTORS; i++) {
  memory.write(`doc:${i}`, new TextEncoder().encode(`document ${i}`));
  memory.vectorPut(`doc:${i}`, vector());
}
const snapshot = memory.toJSON();
const exact = await PgliteHostContextProvider.open(undefined, { dimension: DIMENSION });
await exact.importJSON(snapshot);
const hnsw = await PgliteHostContextProvider.open(undefined, { dimension: DIMENSION, index: "hnsw" });
await hnsw.importJSON(snapshot);
const queries = Array.from({ length: QUERIES }, vector);

// recall@10: the share of exact search's top 10 that the HNSW search returns.
let found = 0;
for (const query of queries) {
  const truth = new Set(memory.vectorSearch(query, K).map((h) => h.key));
  for (const hit of await hnsw.vectorSearch(query, K)) if (truth.has(hit.key)) found++;
}
const recall = found / (QUERIES * K);
console.log(`HNSW recall@${K} over ${QUERIES} queries, ${VECTORS} vectors of ${DIMENSION} dimensions: ${recall.toFixed(4)}`);
recordValue({ label: `HNSW recall@${K} (${VECTORS} × ${DIMENSION}d, pgvector defaults m=16, ef_construction=64)`, value: recall, unit: "fraction" });

let i = 0;
const nextKey = () => `doc:${(i = (i + 7919) % VECTORS)}`;
const value = new Uint8Array(256).fill(7);
let q = 0;
const nextQuery = () => queries[(q = (q + 1) % QUERIES)];

await compareCases("soch read (256 B values)", [
  { name: "in-memory", run: () => memory.read(nextKey()) },
  { name: "PGlite", run: () => exact.read(nextKey()) },
], { unit: "read" });
await compareCases("soch write (overwrite, 256 B)", [
  { name: "in-memory", run: () => memory.write(nextKey(), value) },
  { name: "PGlite", run: () => exact.write(nextKey(), value) },
], { unit: "write" });
const searches = await compareCases(`soch vector_search (top ${K} of ${VECTORS} × ${DIMENSION}d)`, [
  { name: "in-memory", run: () => memory.vectorSearch(nextQuery(), K) },
  { name: "PGlite exact", run: () => exact.vectorSearch(nextQuery(), K) },
  { name: "PGlite HNSW", run: () => hnsw.vectorSearch(nextQuery(), K) },
], { unit: "search", timeMs: 2000 });
for (const [name, r] of searches) console.log(`  ${name}: ${(1e9 / r.nsPerOp).toFixed(0)} searches/s`);
await exact.close();
await hnsw.close();
