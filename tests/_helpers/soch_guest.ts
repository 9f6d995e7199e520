// A guest that exports each soch function it imports under a short name
// (read, write, put, search), passing its arguments through: tests drive the
// namespace from the host through a real guest.
const SIGNATURES = {
  read: { name: "soch_read", params: 4 },
  write: { name: "soch_write", params: 4 },
  put: { name: "vector_put", params: 4 },
  search: { name: "vector_search", params: 5 },
} as const;

export type SochExport = keyof typeof SIGNATURES;

/** The WAT of a guest with `exports` (each needs its soch capability to load) and `pages` of memory. */
export function sochPassthroughGuest(exports: readonly SochExport[], pages = 1): string {
  const params = (n: number) => Array.from({ length: n }, () => "i32").join(" ");
  const args = (n: number) => Array.from({ length: n }, (_, i) => `(local.get ${i})`).join(" ");
  const imports = exports.map((e) => {
    const { name, params: n } = SIGNATURES[e];
    return `(import "soch" "${name}" (func $${e} (param ${params(n)}) (result i64)))`;
  });
  const functions = exports.map((e) => {
    const n = SIGNATURES[e].params;
    return `(func (export "${e}") (param ${params(n)}) (result i64) (call $${e} ${args(n)}))`;
  });
  return `(module ${imports.join(" ")} (memory (export "memory") ${pages}) ${functions.join(" ")})`;
}
