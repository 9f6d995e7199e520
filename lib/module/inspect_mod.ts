/**
 * `wasm-sandbox/inspect`: what a module imports (with the capability each
 * import needs), exports and declares, without running it — the report
 * behind `wasm-sandbox inspect`.
 *
 * @example
 * ```ts
 * import { reportModule } from "wasm-sandbox/inspect";
 *
 * const report = reportModule(bytes);
 * for (const [namespace, imports] of Object.entries(report.imports)) {
 *   for (const i of imports) console.log(`${namespace}.${i.name}: needs ${i.capability}`);
 * }
 * ```
 *
 * @module
 */
export { reportModule } from "./report.ts";
export type { ImportReport, ModuleReport } from "./report.ts";
