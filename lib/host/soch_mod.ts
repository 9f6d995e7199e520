/**
 * `wasm-sandbox/soch`: the data behind the `soch` host namespace (values and
 * a vector index) and the contract a store implements (docs/SOCH.md). The
 * in-memory `DefaultHostContextProvider` and the `HostContextProvider`
 * contract are also in the root export; the persistent PGlite + pgvector
 * store needs the optional packages `@electric-sql/pglite` and
 * `@electric-sql/pglite-pgvector`, loaded only when a store is opened.
 *
 * @example
 * ```ts
 * import { grant, WasmSandboxRuntime } from "wasm-sandbox";
 * import { DefaultHostContextProvider, PgliteHostContextProvider } from "wasm-sandbox/soch";
 *
 * const provider = new DefaultHostContextProvider({ dimension: 3 });
 * provider.write("public/greeting", new TextEncoder().encode("hello"));
 * const runtime = new WasmSandboxRuntime({ provider });
 * await runtime.loadPlugin("reader", "./reader.wasm", { capabilities: [grant("soch:read", { keyPrefix: "public/" })] });
 *
 * // A store on disk, for data that must outlive the process:
 * const store = await PgliteHostContextProvider.open("./soch-db", { dimension: 384 });
 * await store.close();
 * ```
 *
 * @module
 */
export { SochProviderError } from "./soch_namespace.ts";
export type { AsyncHostContextProvider, HostContextProvider, SochProvider } from "./soch_namespace.ts";
export { DEFAULT_SOCH_PROVIDER_LIMITS, DefaultHostContextProvider } from "./soch_provider.ts";
export type { SochProviderLimits, SochProviderOptions, SochSearchHit } from "./soch_provider.ts";
export { PgliteHostContextProvider } from "./soch_pglite_provider.ts";
export type { PgliteSochOptions } from "./soch_pglite_provider.ts";
export type { SochScope } from "./capabilities.ts";
