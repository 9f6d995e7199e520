/**
 * WASI preview1 for sandboxed guests over a virtual filesystem.
 *
 * @module
 */
export { runStartWithoutWasi, WasiHost } from "./wasi_host.ts";
export type { Preopen, WasiHostOptions } from "./wasi_host.ts";
export { memoryTree } from "./memory_tree.ts";
export type { MemoryTreeOptions, TreeSpec } from "./memory_tree.ts";
export { mountHostDirectory } from "./host_mount.ts";
export type { HostMount, MountOptions } from "./host_mount.ts";
export { deterministicClock, seededRandom, systemClock, systemRandom } from "./clocks.ts";
export type { RandomSource, WasiClock } from "./clocks.ts";
export type { OutputOptions } from "./stdio.ts";
export { VirtualDirectory, VirtualFile, VirtualSymlink } from "./vfs.ts";
