/**
 * `wasm-sandbox/net`: the policy behind `platform_network.http_request`
 * (docs/NETWORK.md). A plugin reaches the network only with a
 * `network:http` token whose scope is a {@linkcode NetworkPolicy}.
 *
 * @example
 * ```ts
 * import { grant, WasmSandboxRuntime } from "wasm-sandbox";
 * import { defaultNetworkPolicy } from "wasm-sandbox/net";
 *
 * const http = grant("network:http", { ...defaultNetworkPolicy(), allowedHosts: ["api.example.com"] });
 * const runtime = new WasmSandboxRuntime();
 * const plugin = await runtime.loadPlugin("p", bytes, { capabilities: [http], onNetwork: (e) => console.log(e) });
 * ```
 *
 * @module
 */
export { defaultNetworkPolicy, validateNetworkPolicy } from "./policy.ts";
export type { HttpScheme, NetworkPolicy } from "./policy.ts";
export type { HttpClientOptions } from "./http_client.ts";
export type { HostLookup, ResolvedAddress } from "./resolve.ts";
export type { NetworkEvent, NetworkObserver } from "../host/platform_network_namespace.ts";
