/**
 * WASI preview1 for sandboxed guests over a virtual filesystem.
 *
 * @module
 */
export { exitCodeOf, runStartWithoutWasi, WasiHost } from "./wasi_host.ts";
export type { CommandResult, Preopen, WasiHostOptions } from "./wasi_host.ts";
export { memoryTree } from "./memory_tree.ts";
export type { MemoryTreeOptions, TreeSpec } from "./memory_tree.ts";
export { mountHostDirectory } from "./host_mount.ts";
// The host file system `mountHostDirectory` reads through: `(await hostPlatform()).fs`.
export { hostPlatform } from "../platform/host_platform.ts";
export type { HostFileSystem } from "../platform/types.ts";
export type { HostMount, MountOptions } from "./host_mount.ts";
export { assertDisjointMounts } from "./mount_overlap.ts";
export { formatWriteBackReport, writeBackComplete } from "./write_back_report.ts";
export type { WriteBackChange, WriteBackIssue, WriteBackReport } from "./write_back_report.ts";
export { deterministicClock, seededRandom, systemClock, systemRandom } from "./clocks.ts";
export type { RandomSource, WasiClock } from "./clocks.ts";
export type { OutputOptions } from "./stdio.ts";
export { VirtualDirectory, VirtualFile, VirtualSymlink } from "./vfs.ts";
