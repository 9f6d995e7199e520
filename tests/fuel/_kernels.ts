import { compileAssemblyScript } from "../_helpers/assemblyscript.ts";

// AssemblyScript compute kernels shared by the differential tests and the
// fuel-overhead benchmark. Each exports `check(): i32|f64` (a small fixed
// workload, for tests) and `work(n: i32)` (a workload scaled by n, for
// benchmarks); both return a checksum so nothing is optimised away.

// Scratch memory past the static data, grown on demand and reused by every
// call (the stub runtime never frees, so kernels do not allocate).
const REGION = `
  function region(bytes: i32): usize {
    const base = (__heap_base + 15) & ~15;
    const need = <i32>((base + <usize>bytes + 0xffff) >>> 16);
    const have = memory.size();
    if (need > have) memory.grow(need - have);
    return base;
  }`;

/** Kernel name → AssemblyScript source. */
export const KERNELS: Record<string, string> = {
  fib: `
    function fib(n: i32): i32 { return n < 2 ? n : fib(n - 1) + fib(n - 2); }
    export function work(n: i32): i32 { return fib(n); }
    export function check(): i32 { return fib(15); }`,

  nested_loops: `
    export function work(n: i32): i32 {
      let acc: i32 = 0;
      for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) acc = (acc ^ (i * j)) + ((i + j) & 7);
      return acc;
    }
    export function check(): i32 { return work(60); }`,

  sieve: REGION + `
    export function work(n: i32): i32 {
      const flags = region(n + 1);
      memory.fill(flags, 0, n + 1);
      let count = 0;
      for (let i = 2; i <= n; i++) {
        if (load<u8>(flags + i) == 0) {
          count++;
          for (let j = i * 2; j <= n; j += i) store<u8>(flags + j, 1);
        }
      }
      return count;
    }
    export function check(): i32 { return work(5000); }`,

  matmul: REGION + `
    export function work(n: i32): f64 {
      const a = region(3 * n * n * 8);
      const b = a + <usize>(n * n * 8);
      const c = b + <usize>(n * n * 8);
      for (let i = 0; i < n * n; i++) {
        store<f64>(a + (<usize>i << 3), <f64>(i % 7) + 0.5);
        store<f64>(b + (<usize>i << 3), <f64>(i % 5) - 1.25);
      }
      for (let i = 0; i < n; i++)
        for (let j = 0; j < n; j++) {
          let sum = 0.0;
          for (let k = 0; k < n; k++) {
            sum += load<f64>(a + (<usize>(i * n + k) << 3)) * load<f64>(b + (<usize>(k * n + j) << 3));
          }
          store<f64>(c + (<usize>(i * n + j) << 3), sum);
        }
      let trace = 0.0;
      for (let i = 0; i < n; i++) trace += load<f64>(c + (<usize>(i * n + i) << 3));
      return trace;
    }
    export function check(): f64 { return work(24); }`,

  hash: `
    export function work(n: i32): u32 {
      let h: u32 = 2166136261;
      for (let i = 0; i < n; i++) {
        h ^= <u32>(i & 0xff);
        h *= 16777619;
        h ^= h >>> 13;
      }
      return h;
    }
    export function check(): u32 { return work(20000); }`,

  sort: REGION + `
    @inline function at(a: usize, i: i32): usize { return a + (<usize>i << 2); }
    function quicksort(a: usize, lo: i32, hi: i32): void {
      while (lo < hi) {
        const p = load<i32>(at(a, (lo + hi) >>> 1));
        let i = lo, j = hi;
        while (i <= j) {
          while (load<i32>(at(a, i)) < p) i++;
          while (load<i32>(at(a, j)) > p) j--;
          if (i <= j) {
            const t = load<i32>(at(a, i));
            store<i32>(at(a, i), load<i32>(at(a, j)));
            store<i32>(at(a, j), t);
            i++;
            j--;
          }
        }
        if (j - lo < hi - i) { quicksort(a, lo, j); lo = i; } else { quicksort(a, i, hi); hi = j; }
      }
    }
    export function work(n: i32): i32 {
      const a = region(n * 4);
      let x: u32 = 12345;
      for (let i = 0; i < n; i++) { x ^= x << 13; x ^= x >> 17; x ^= x << 5; store<i32>(at(a, i), <i32>(x & 0xfffff)); }
      quicksort(a, 0, n - 1);
      let sum: i32 = 0;
      for (let i = 0; i < n; i++) sum = sum * 31 + load<i32>(at(a, i));
      return sum;
    }
    export function check(): i32 { return work(3000); }`,
};

/** Compiles a kernel like a release build: -O3, no GC (the stub runtime), aborts trap. */
export function compileKernel(source: string): Promise<Uint8Array> {
  return compileAssemblyScript(source, { flags: ["-O3", "--runtime", "stub", "--use", "abort="] });
}
