/**
 * The host platform for embedders: `hostPlatform()` gives the running
 * runtime's file system, command runner, worker adapter and terminal — for
 * example the `fs` that `mountHostDirectory` reads through.
 *
 * @example
 * ```ts
 * import { hostPlatform } from "./lib/platform/mod.ts";
 * import { mountHostDirectory } from "./lib/wasi/mod.ts";
 *
 * const { fs } = await hostPlatform();
 * const mount = await mountHostDirectory("./data", { fs, readOnly: true });
 * ```
 *
 * @module
 */
export { hostPlatform, isDeno } from "./host_platform.ts";
export { HostNotFoundError } from "./types.ts";
export type { HostAppendHandle, HostDirEntry, HostFileInfo, HostFileKind, HostFileSystem, HostPlatform } from "./types.ts";
