// Every WASI preview1 import with its signature, and a probe module that
// imports them all and re-exports them, so hostile-argument tests and the
// fuzzer call each function exactly as a guest would (i32 arrive as signed
// 32-bit numbers, i64 as bigints) against a fresh WasiHost.
import { wat } from "./wat.ts";
import { type VirtualDirectory, VirtualFile, VirtualSymlink, WasiHost } from "../../lib/wasi/mod.ts";
import type { WasiHostOptions } from "../../lib/wasi/mod.ts";
import type { VirtualNode } from "../../lib/wasi/vfs.ts";

export type ValType = "i32" | "i64";

/** Parameter types of every preview1 function (all return an i32 errno, except proc_exit). */
export const PREVIEW1: Readonly<Record<string, readonly ValType[]>> = {
  args_get: ["i32", "i32"],
  args_sizes_get: ["i32", "i32"],
  environ_get: ["i32", "i32"],
  environ_sizes_get: ["i32", "i32"],
  clock_res_get: ["i32", "i32"],
  clock_time_get: ["i32", "i64", "i32"],
  fd_advise: ["i32", "i64", "i64", "i32"],
  fd_allocate: ["i32", "i64", "i64"],
  fd_close: ["i32"],
  fd_datasync: ["i32"],
  fd_fdstat_get: ["i32", "i32"],
  fd_fdstat_set_flags: ["i32", "i32"],
  fd_fdstat_set_rights: ["i32", "i64", "i64"],
  fd_filestat_get: ["i32", "i32"],
  fd_filestat_set_size: ["i32", "i64"],
  fd_filestat_set_times: ["i32", "i64", "i64", "i32"],
  fd_pread: ["i32", "i32", "i32", "i64", "i32"],
  fd_prestat_get: ["i32", "i32"],
  fd_prestat_dir_name: ["i32", "i32", "i32"],
  fd_pwrite: ["i32", "i32", "i32", "i64", "i32"],
  fd_read: ["i32", "i32", "i32", "i32"],
  fd_readdir: ["i32", "i32", "i32", "i64", "i32"],
  fd_renumber: ["i32", "i32"],
  fd_seek: ["i32", "i64", "i32", "i32"],
  fd_sync: ["i32"],
  fd_tell: ["i32", "i32"],
  fd_write: ["i32", "i32", "i32", "i32"],
  path_create_directory: ["i32", "i32", "i32"],
  path_filestat_get: ["i32", "i32", "i32", "i32", "i32"],
  path_filestat_set_times: ["i32", "i32", "i32", "i32", "i64", "i64", "i32"],
  path_link: ["i32", "i32", "i32", "i32", "i32", "i32", "i32"],
  path_open: ["i32", "i32", "i32", "i32", "i32", "i64", "i64", "i32", "i32"],
  path_readlink: ["i32", "i32", "i32", "i32", "i32", "i32"],
  path_remove_directory: ["i32", "i32", "i32"],
  path_rename: ["i32", "i32", "i32", "i32", "i32", "i32"],
  path_symlink: ["i32", "i32", "i32", "i32", "i32"],
  path_unlink_file: ["i32", "i32", "i32"],
  poll_oneoff: ["i32", "i32", "i32", "i32"],
  proc_exit: ["i32"],
  proc_raise: ["i32"],
  sched_yield: [],
  random_get: ["i32", "i32"],
  sock_accept: ["i32", "i32", "i32"],
  sock_recv: ["i32", "i32", "i32", "i32", "i32", "i32"],
  sock_send: ["i32", "i32", "i32", "i32", "i32"],
  sock_shutdown: ["i32", "i32"],
};

/** Highest errno preview1 defines (NOTCAPABLE). */
export const MAX_ERRNO = 76;

let compiled: Promise<WebAssembly.Module> | undefined;

function probeModule(): Promise<WebAssembly.Module> {
  compiled ??= (async () => {
    const lines = Object.entries(PREVIEW1).map(([name, params]) => {
      const result = name === "proc_exit" ? "" : "(result i32)";
      const sig = `(param ${params.join(" ")}) ${result}`;
      return `(import "wasi_snapshot_preview1" "${name}" (func $${name} ${sig}))\n(export "${name}" (func $${name}))`;
    });
    const bytes = await wat(`(module\n${lines.join("\n")}\n(memory (export "memory") 1 4))`);
    return WebAssembly.compile(bytes as Uint8Array<ArrayBuffer>);
  })();
  return compiled;
}

export type WasiCall = (...args: Array<number | bigint>) => number;

/** A probe instance: every preview1 function callable by name, its memory, and the host. */
export interface WasiProbe {
  readonly wasi: WasiHost;
  readonly memory: WebAssembly.Memory;
  readonly call: Readonly<Record<string, WasiCall>>;
  bytes(): Uint8Array;
  view(): DataView;
  /** Writes UTF-8 `text` (or raw bytes) at `at`; returns its length. */
  put(at: number, text: string | Uint8Array): number;
}

/** Instantiates the all-imports probe over a fresh WasiHost built from `options`. */
export async function wasiProbe(options: WasiHostOptions): Promise<WasiProbe> {
  const wasi = new WasiHost(options);
  const instance = await WebAssembly.instantiate(await probeModule(), { wasi_snapshot_preview1: wasi.imports });
  const memory = instance.exports.memory as WebAssembly.Memory;
  wasi.bindMemory(() => memory);
  return {
    wasi,
    memory,
    call: instance.exports as unknown as Record<string, WasiCall>,
    bytes: () => new Uint8Array(memory.buffer),
    view: () => new DataView(memory.buffer),
    put(at, text) {
      const data = typeof text === "string" ? new TextEncoder().encode(text) : text;
      new Uint8Array(memory.buffer).set(data, at);
      return data.byteLength;
    },
  };
}

/**
 * A canonical text rendering of a virtual tree (names, kinds, contents, link
 * targets), for checking that a failed call changed nothing.
 */
export function treeSnapshot(node: VirtualNode, indent = ""): string {
  if (node instanceof VirtualFile) return `file ${node.size} ${Array.from(node.contents()).join(",")}`;
  if (node instanceof VirtualSymlink) return `link -> ${node.target}`;
  const dir = node as VirtualDirectory;
  const lines = [...dir.entries].map(([name, child]) => `${indent}  ${name}: ${treeSnapshot(child, `${indent}  `)}`);
  return ["dir", ...lines].join("\n");
}

/** Bytes of data a tree holds (file contents and link targets), counting each node once. */
export function dataBytes(node: VirtualNode, seen = new Set<VirtualNode>()): number {
  if (seen.has(node)) return 0;
  seen.add(node);
  if (node instanceof VirtualFile) return node.size;
  if (node instanceof VirtualSymlink) return new TextEncoder().encode(node.target).byteLength;
  let total = 0;
  for (const child of (node as VirtualDirectory).entries.values()) total += dataBytes(child, seen);
  return total;
}
