/**
 * The arithmetic every soch provider ranks with, in one place so that two
 * providers given the same vectors give the same scores bit for bit (and so
 * the same order, ties included): vectors are stored as float32 unit vectors
 * (scaled in float64, then rounded once to float32), and a score is the dot
 * product of two such vectors summed left to right in float64 — exact
 * products, so only the sum rounds — clamped to [-1, 1].
 *
 * @module
 */
import { AbiCode } from "./abi_codes.ts";
import { SochProviderError } from "./soch_namespace.ts";

/**
 * Scales `vector` to unit length as float32, or fails with INVALID_ARGUMENT
 * for NaN/infinite components and the zero vector (no direction, so no cosine).
 *
 * @example
 * ```ts
 * normalizeSochVector([3, 4], "the query"); // Float32Array [0.6, 0.8]
 * ```
 */
export function normalizeSochVector(vector: ArrayLike<number>, what: string): Float32Array {
  let sum = 0;
  for (let i = 0; i < vector.length; i++) {
    const x = vector[i];
    if (typeof x !== "number" || !Number.isFinite(x)) {
      throw new SochProviderError(AbiCode.INVALID_ARGUMENT, `${what} has a non-finite component at ${i}`);
    }
    sum += x * x;
  }
  const norm = Math.sqrt(sum);
  if (norm === 0 || !Number.isFinite(norm)) {
    throw new SochProviderError(AbiCode.INVALID_ARGUMENT, `${what} has no direction (zero or overflowing length)`);
  }
  const unit = new Float32Array(vector.length);
  for (let i = 0; i < vector.length; i++) unit[i] = vector[i] / norm;
  return unit;
}

/**
 * The cosine similarity of two unit vectors: `unit` against the `dimension`
 * floats of `rows` starting at `base`.
 *
 * @example
 * ```ts
 * unitCosine(new Float32Array([1, 0]), new Float32Array([0, 1, 1, 0]), 2, 2); // 1
 * ```
 */
export function unitCosine(unit: Float32Array, rows: Float32Array, base: number, dimension: number): number {
  let dot = 0;
  for (let i = 0; i < dimension; i++) dot += unit[i] * rows[base + i];
  // Rounding can push |dot| of unit vectors slightly past 1.
  return dot > 1 ? 1 : dot < -1 ? -1 : dot;
}
