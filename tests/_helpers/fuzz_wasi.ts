// The WASI half of the fuzzer: a session of random preview1 calls with
// hostile arguments (pointers, lengths, descriptors, flags, paths with '..'
// and symlinks) against a WasiHost over a small virtual tree, checking after
// every call that it answered an errno and that the filesystem invariants
// hold: nothing outside the preopen changed, the quota was never exceeded.
import { SandboxError } from "../../mod.ts";
import { deterministicClock, memoryTree } from "../../lib/wasi/mod.ts";
import type { VirtualDirectory } from "../../lib/wasi/mod.ts";
import type { Rng } from "./prng.ts";
import { dataBytes, MAX_ERRNO, PREVIEW1, treeSnapshot, wasiProbe } from "./wasi_preview1.ts";
import type { WasiProbe } from "./wasi_preview1.ts";

/** How each argument of a function is drawn (a path or iovec argument takes two i32 slots). */
type Kind = "fd" | "ptr" | "len" | "path" | "iovs" | "subs" | "u64" | "flags" | "clock" | "i32";

const SHAPES: Record<string, Kind[]> = {
  args_get: ["ptr", "ptr"],
  args_sizes_get: ["ptr", "ptr"],
  environ_get: ["ptr", "ptr"],
  environ_sizes_get: ["ptr", "ptr"],
  clock_res_get: ["clock", "ptr"],
  clock_time_get: ["clock", "u64", "ptr"],
  fd_advise: ["fd", "u64", "u64", "flags"],
  fd_allocate: ["fd", "u64", "u64"],
  fd_close: ["fd"],
  fd_datasync: ["fd"],
  fd_fdstat_get: ["fd", "ptr"],
  fd_fdstat_set_flags: ["fd", "flags"],
  fd_fdstat_set_rights: ["fd", "u64", "u64"],
  fd_filestat_get: ["fd", "ptr"],
  fd_filestat_set_size: ["fd", "u64"],
  fd_filestat_set_times: ["fd", "u64", "u64", "flags"],
  fd_pread: ["fd", "iovs", "u64", "ptr"],
  fd_prestat_get: ["fd", "ptr"],
  fd_prestat_dir_name: ["fd", "ptr", "len"],
  fd_pwrite: ["fd", "iovs", "u64", "ptr"],
  fd_read: ["fd", "iovs", "ptr"],
  fd_readdir: ["fd", "ptr", "len", "u64", "ptr"],
  fd_renumber: ["fd", "fd"],
  fd_seek: ["fd", "u64", "clock", "ptr"],
  fd_sync: ["fd"],
  fd_tell: ["fd", "ptr"],
  fd_write: ["fd", "iovs", "ptr"],
  path_create_directory: ["fd", "path"],
  path_filestat_get: ["fd", "flags", "path", "ptr"],
  path_filestat_set_times: ["fd", "flags", "path", "u64", "u64", "flags"],
  path_link: ["fd", "flags", "path", "fd", "path"],
  path_open: ["fd", "flags", "path", "flags", "u64", "u64", "flags", "ptr"],
  path_readlink: ["fd", "path", "ptr", "len", "ptr"],
  path_remove_directory: ["fd", "path"],
  path_rename: ["fd", "path", "fd", "path"],
  path_symlink: ["path", "fd", "path"],
  path_unlink_file: ["fd", "path"],
  poll_oneoff: ["subs", "ptr", "ptr"],
  proc_exit: ["i32"],
  proc_raise: ["i32"],
  sched_yield: [],
  random_get: ["ptr", "len"],
  sock_accept: ["fd", "flags", "ptr"],
  sock_recv: ["fd", "iovs", "flags", "ptr", "ptr"],
  sock_send: ["fd", "iovs", "flags", "ptr"],
  sock_shutdown: ["fd", "flags"],
};

const PAGE = 65536;
const IOVS = 1024; // 8 iovecs
const SUBS = 2048; // 8 subscriptions of 48 bytes
const PATHS = 4096; // 16 slots of 256 bytes
const SLOTS = 16;
const BUFFERS = 8192;

const PATH_PARTS = ["..", ".", "", "a.txt", "sub", "b.txt", "up", "esc", "loop", "in", "deep", "new", "x", "secret", "d", "\u00e9", "a".repeat(300)];
const PATH_PREFIXES = ["", "", "", "/", "../", "./", "sub/../", "up/", "in/"];

/** A hostile path: components, prefixes, sometimes a NUL, invalid UTF-8 or great length. */
function randomPath(rng: Rng): Uint8Array {
  const parts = Array.from({ length: 1 + rng.int(5) }, () => rng.pick(PATH_PARTS));
  let text = rng.pick(PATH_PREFIXES) + parts.join(rng.chance(0.1) ? "//" : "/") + (rng.chance(0.1) ? "/" : "");
  if (rng.chance(0.05)) text = text.slice(0, rng.int(text.length + 1)) + "\0" + text.slice(rng.int(text.length + 1));
  const bytes = new TextEncoder().encode(text);
  if (rng.chance(0.05) && bytes.length > 0) bytes[rng.int(bytes.length)] = 0xff;
  return bytes.subarray(0, 255);
}

/** The fuzzed host: one probe, the tree outside the preopen, and the path slot lengths. */
interface Session {
  probe: WasiProbe;
  outer: VirtualDirectory;
  inner: VirtualDirectory;
  outsideBefore: string;
  quota: number;
  slotLengths: number[];
}

/** Everything outside the preopen, rendered (the preopen itself is left out). */
function outside(outer: VirtualDirectory): string {
  return [...outer.entries].filter(([name]) => name !== "d").map(([name, node]) => `${name}: ${treeSnapshot(node)}`).join("\n");
}

async function newSession(rng: Rng): Promise<Session> {
  // The preopen is /d inside a larger tree: escaping it could only reach the siblings.
  const outer = memoryTree({ d: { "a.txt": "contents", sub: { "b.txt": "b" } }, secret: "top secret", "secret-dir": { x: "x" } });
  const inner = outer.entries.get("d") as VirtualDirectory;
  const quota = 2048 + rng.int(8192);
  const probe = await wasiProbe({
    args: ["prog", "--flag"],
    env: { HOME: "/d" },
    stdin: new TextEncoder().encode("stdin bytes"),
    stdout: { maxBytes: 1024 },
    stderr: { maxBytes: 1024 },
    preopens: [{ guestPath: "/d", dir: inner }],
    fsQuotaBytes: quota,
    clock: deterministicClock(0, 1),
    maxSleepMs: 1000,
  });
  // Links inside the preopen: upward, outward, looping, inward, and outward through a subdirectory.
  const session: Session = { probe, outer, inner, outsideBefore: outside(outer), quota, slotLengths: [] };
  const links: Array<[string, string]> = [["..", "up"], ["../secret", "esc"], ["loop", "loop"], ["sub", "in"], ["sub/../../secret", "deep"]];
  for (const [target, name] of links) {
    const t = probe.put(PATHS, target);
    const n = probe.put(PATHS + 128, name);
    probe.call.path_symlink!(PATHS, t, 3, PATHS + 128, n);
  }
  for (let slot = 0; slot < SLOTS; slot++) session.slotLengths.push(probe.put(PATHS + slot * 256, randomPath(rng)));
  return session;
}

/** Rewrites some of the scratch structures the arguments point at. */
function scramble(rng: Rng, s: Session): void {
  const view = s.probe.view();
  const size = s.probe.memory.buffer.byteLength;
  const slot = rng.int(SLOTS);
  s.slotLengths[slot] = s.probe.put(PATHS + slot * 256, randomPath(rng));
  for (let i = 0; i < 8; i++) {
    const hostile = rng.chance(0.1);
    view.setUint32(IOVS + i * 8, hostile ? rng.pick([size - 1, size, 0xffff_fff0, rng.u32()]) : BUFFERS + rng.int(4096), true);
    view.setUint32(IOVS + i * 8 + 4, hostile ? rng.pick([0xffff_ffff, size, 1 << 20]) : rng.int(600), true);
  }
  for (let i = 0; i < 8; i++) {
    const at = SUBS + i * 48;
    view.setBigUint64(at, BigInt(rng.u32()), true);
    view.setUint8(at + 8, rng.pick([0, 0, 1, 2, 7]));
    view.setUint32(at + 16, rng.pick([0, 1, 2, 3, 9, rng.u32()]), true);
    view.setBigUint64(at + 24, rng.pick([0n, 1000n, 1_000_000n, 10_000_000_000n, BigInt(rng.u32())]), true);
    view.setUint16(at + 40, rng.pick([0, 1, 2]), true);
  }
}

function argFor(rng: Rng, kind: Kind, s: Session): Array<number | bigint> {
  const size = s.probe.memory.buffer.byteLength;
  const hostilePtr = () => rng.pick([0, size, size - 1, size - 4, 0xffff_fff0, 0xffff_fffc, 0x8000_0000, rng.u32(), rng.int(size)]);
  switch (kind) {
    case "fd":
      return [rng.chance(0.85) ? rng.int(10) : rng.pick([1023, 1024, 0x7fff_ffff, -1, rng.u32()])];
    case "ptr":
      return [rng.chance(0.7) ? 128 + rng.int(512) : hostilePtr()];
    case "len":
      return [rng.pick([0, 1, 4, 8, 24, 64, 256, 4096, size, 0xffff_ffff, rng.u32()])];
    case "path": {
      if (rng.chance(0.85)) {
        const slot = rng.int(SLOTS);
        return [PATHS + slot * 256, s.slotLengths[slot]!];
      }
      return [hostilePtr(), rng.pick([0, 1, 255, 4096, 4097, 0xffff_ffff, rng.u32()])];
    }
    case "iovs":
      return rng.chance(0.85) ? [IOVS, rng.pick([0, 1, 2, 8])] : [hostilePtr(), rng.pick([1024, 1025, 0x2000_0000, 0xffff_ffff, rng.u32()])];
    case "subs":
      return rng.chance(0.85) ? [SUBS, rng.pick([1, 2, 8])] : [hostilePtr(), rng.pick([0, 4096, 4097, 0xffff_ffff, rng.u32()])];
    case "u64":
      return [rng.pick([0n, 1n, 8n, 100n, -1n, 2n ** 63n - 1n, -(2n ** 63n), 2n ** 53n, 2n ** 32n, BigInt.asIntN(64, BigInt(rng.u32()) << 32n | BigInt(rng.u32()))])];
    case "flags":
      return [rng.pick([0, 1, 2, 3, 4, 5, 8, 9, 12, 15, 0xff, -1, rng.u32()])];
    case "clock":
      return [rng.pick([0, 1, 2, 3, 4, 99, -1])];
    case "i32":
      return [rng.pick([0, 1, -1, 255, rng.u32()])];
  }
}

const IO = 29;

/** Describes a call for a failure report. */
function describe(name: string, args: Array<number | bigint>): string {
  return `${name}(${args.map((a) => (typeof a === "bigint" ? `${a}n` : String(a))).join(", ")})`;
}

/**
 * Runs `calls` random calls in one fresh session. Returns undefined when every
 * invariant held, else a report naming the failing call and the calls before it.
 */
export async function runWasiSession(rng: Rng, calls: number): Promise<string | undefined> {
  const s = await newSession(rng);
  const names = Object.keys(PREVIEW1);
  const history: string[] = [];
  for (let i = 0; i < calls; i++) {
    scramble(rng, s);
    // Memory grows now and then, so the host must re-derive its views.
    if (rng.chance(0.01) && s.probe.memory.buffer.byteLength < 4 * PAGE) s.probe.memory.grow(1);
    const name = rng.pick(names);
    const args = SHAPES[name]!.flatMap((kind) => argFor(rng, kind, s));
    const call = describe(name, args);
    history.push(call);
    const fail = (why: string) => `${why}\n  calls in this session (last 30):\n    ${history.slice(-30).join("\n    ")}`;
    let errno: number;
    try {
      errno = s.probe.call[name]!(...args);
    } catch (err) {
      // proc_exit unwinds by design; a sleep past the budget ends the run with Timeout.
      const expected = (name === "proc_exit" && (err as { code?: unknown }).code === (args[0] as number) >>> 0) ||
        (name === "poll_oneoff" && err instanceof SandboxError && err.code === "Timeout");
      if (!expected) return fail(`${call} threw ${err instanceof Error ? `${err.constructor.name}: ${err.message}` : String(err)}`);
      continue;
    }
    if (!Number.isInteger(errno) || errno < 0 || errno > MAX_ERRNO) return fail(`${call} answered ${errno}, not an errno`);
    if (errno === IO) return fail(`${call} answered IO: an internal error inside the host`);
    if (outside(s.outer) !== s.outsideBefore) return fail(`${call} changed the tree outside the preopen`);
    const used = dataBytes(s.inner);
    if (used > s.quota) return fail(`${call} left ${used} bytes of data in a ${s.quota}-byte quota`);
    if (s.probe.wasi.stdoutBytes().byteLength > 1024) return fail(`${call} let stdout grow past its cap`);
  }
  return undefined;
}
