// The same seeded operations against the in-memory and the PGlite provider
// must give the same answers: values, error codes, and search hits in the
// same order (ties by key) with scores equal within 1e-6.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { DefaultHostContextProvider } from "../../lib/host/soch_provider.ts";
import { PgliteHostContextProvider } from "../../lib/host/soch_pglite_provider.ts";
import { SochProviderError } from "../../lib/host/soch_namespace.ts";
import { rng } from "../_helpers/prng.ts";
import type { Rng } from "../_helpers/prng.ts";

type Outcome = { ok: unknown } | { code: number };

function describe(value: unknown): unknown {
  return value instanceof Uint8Array ? Array.from(value) : value;
}

function sameOutcome(step: string, memory: Outcome, pglite: Outcome): void {
  if ("code" in memory || "code" in pglite) {
    assert.equal(pglite, memory, `${step}: outcomes differ`);
    return;
  }
  const a = memory.ok, b = pglite.ok;
  if (!Array.isArray(a)) {
    assert.equal(describe(b), describe(a), `${step}: values differ`);
    return;
  }
  const hitsA = a as Array<{ key: string; score: number }>, hitsB = b as typeof hitsA;
  assert.equal(hitsB.map((h) => h.key), hitsA.map((h) => h.key), `${step}: hit order differs`);
  for (let i = 0; i < hitsA.length; i++) {
    assert.ok(Math.abs(hitsA[i].score - hitsB[i].score) <= 1e-6, `${step}: score ${i} differs: ${hitsA[i].score} vs ${hitsB[i].score}`);
  }
}

async function outcome(op: () => unknown): Promise<Outcome> {
  try {
    return { ok: await op() };
  } catch (err) {
    if (err instanceof SochProviderError) return { code: err.abiCode };
    throw err;
  }
}

/** Small integer components: many identical directions, so exact ties are common. */
function tieVector(r: Rng, dimension: number): Float32Array {
  return Float32Array.from({ length: dimension }, () => r.int(5) - 2);
}

function freeVector(r: Rng, dimension: number): Float32Array {
  return Float32Array.from({ length: dimension }, () => r.next() * 2 - 1);
}

let pglite: PgliteHostContextProvider;
const memory = new DefaultHostContextProvider();
let ties = 0, searches = 0;

test.before(async () => {
  pglite = await PgliteHostContextProvider.open(undefined);
});

test.after(async () => {
  await pglite.close();
});

test("random writes, overwrites, reads, vector puts and searches agree (seed 1)", async () => {
  const r = rng(1);
  const dimension = 4;
  const keys = Array.from({ length: 40 }, (_, i) => `${r.pick(["a", "b", "c"])}/${i}`);
  const filters: Array<[string, ((key: string) => boolean) | undefined]> = [
    ["none", undefined],
    ["prefix a/", (key) => key.startsWith("a/")],
    ["odd", (key) => Number(key.slice(2)) % 2 === 1],
    ["nothing", () => false],
  ];
  // A search on the empty store, before the dimension is fixed.
  const ones = new Float32Array([1, 1, 1]);
  sameOutcome("empty search", await outcome(() => memory.vectorSearch(ones, 3)), await outcome(() => pglite.vectorSearch(ones, 3)));
  for (let step = 0; step < 600; step++) {
    const key = r.pick(keys);
    const kind = r.int(10);
    let a: Outcome, b: Outcome;
    const label = `step ${step}`;
    if (kind < 2) {
      const value = Uint8Array.from({ length: r.int(6) }, () => r.int(256));
      a = await outcome(() => memory.write(key, value));
      b = await outcome(() => pglite.write(key, value));
    } else if (kind < 4) {
      const probe = r.chance(0.3) ? `absent/${step}` : key;
      a = await outcome(() => memory.read(probe));
      b = await outcome(() => pglite.read(probe));
    } else if (kind < 7) {
      // Mostly valid vectors; sometimes the wrong dimension, a zero vector or a NaN.
      const pick = r.int(20);
      const vector = pick === 0
        ? freeVector(r, dimension + 1)
        : pick === 1
        ? new Float32Array(dimension)
        : pick === 2
        ? Float32Array.of(NaN, 1, 1, 1)
        : r.chance(0.7)
        ? tieVector(r, dimension)
        : freeVector(r, dimension);
      a = await outcome(() => memory.vectorPut(key, vector));
      b = await outcome(() => pglite.vectorPut(key, vector));
    } else {
      const query = r.chance(0.05) ? freeVector(r, dimension - 1) : r.chance(0.6) ? tieVector(r, dimension) : freeVector(r, dimension);
      const k = r.chance(0.05) ? 0 : 1 + r.int(12);
      const [, filter] = r.pick(filters);
      a = await outcome(() => memory.vectorSearch(query, k, filter));
      b = await outcome(() => pglite.vectorSearch(query, k, filter));
      if ("ok" in a && Array.isArray(a.ok)) {
        searches++;
        const hits = a.ok as Array<{ score: number }>;
        for (let i = 1; i < hits.length; i++) if (hits[i].score === hits[i - 1].score) ties++;
      }
    }
    sameOutcome(label, a, b);
  }
  assert.ok(ties > 10, `the sequence should exercise ties (saw ${ties} in ${searches} searches)`);
  assert.is(pglite.size, memory.size);
  assert.is(pglite.vectorCount, memory.vectorCount);
  assert.equal(await pglite.exportJSON(), memory.toJSON());
});

test("many vectors and selective filters (several pgvector batches) agree (seed 2)", async () => {
  const r = rng(2);
  const dimension = 4;
  for (let i = 0; i < 500; i++) {
    const key = `bulk/${String(i).padStart(3, "0")}`;
    const vector = r.chance(0.3) ? tieVector(r, dimension) : freeVector(r, dimension);
    memory.vectorPut(key, vector);
    await pglite.vectorPut(key, vector);
  }
  for (let step = 0; step < 60; step++) {
    const query = r.chance(0.5) ? tieVector(r, dimension) : freeVector(r, dimension);
    if (!query.some((x) => x !== 0)) continue;
    const k = 1 + r.int(40);
    const modulus = 2 + r.int(60);
    const filter = (key: string) => key.length % 3 === 0 || Number(key.slice(5)) % modulus === 0;
    sameOutcome(`bulk search ${step}`, await outcome(() => memory.vectorSearch(query, k, filter)), await outcome(() => pglite.vectorSearch(query, k, filter)));
    sameOutcome(`bulk search ${step} unfiltered`, await outcome(() => memory.vectorSearch(query, k)), await outcome(() => pglite.vectorSearch(query, k)));
  }
});

test.run();
