// Every WASI preview1 import the host implements, called as a guest would
// with hostile arguments: pointers outside memory, ranges that wrap past
// 2^32, descriptors that are not open, absurd counts, escaping paths. Each
// call must answer one documented errno (never a host exception, never the
// catch-all IO that stands for an internal error), change nothing when it
// fails (guest memory, both preopened trees, stdout), and leave the host
// serving the next call.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { memoryTree } from "../../lib/wasi/mod.ts";
import { MAX_ERRNO, PREVIEW1, treeSnapshot, wasiProbe } from "../_helpers/wasi_preview1.ts";
import type { WasiProbe } from "../_helpers/wasi_preview1.ts";
import { E } from "../wasi/_probe.ts";

const IO = 29;
const MFILE = 33;
const BUSY = 10;

// Addresses in the probe's one-page memory.
const OUT = 256;
const IOV = 512;
const P1 = 1024; // "f.txt"
const P2 = 1100; // "link"
const P3 = 1200; // "../other/secret.txt"
const P4 = 1300; // "/etc/passwd"
const P5 = 1400; // "f\0.txt"
const P6 = 1500; // "sub"
const SUB = 2048; // a clock subscription
const DATA = 8192;
// Hostile pointers and lengths.
const OOB = 0xffff_fff0; // far outside memory
const WRAP = 0xffff_fffc; // + 8 wraps around 2^32 to 4
const END = 65536; // one past the last byte
const HUGE = 0xffff_ffff;
// Descriptors: 0-2 stdio, 3 the preopen /d, 4 the preopen /other, 5 f.txt (read-write), 6 the directory sub.
const D = 3;
const F = 5;
const SUBDIR = 6;
const BADFDS = [7, 1024, 0x7fff_ffff, -1];

async function setup(): Promise<{ probe: WasiProbe; d: ReturnType<typeof memoryTree>; other: ReturnType<typeof memoryTree> }> {
  const d = memoryTree({ "f.txt": "data", sub: { "x.txt": "x" } });
  const other = memoryTree({ "secret.txt": "secret" });
  const probe = await wasiProbe({
    args: ["prog", "arg"],
    env: { K: "V" },
    stdin: new TextEncoder().encode("input"),
    preopens: [{ guestPath: "/d", dir: d }, { guestPath: "/other", dir: other }],
  });
  probe.put(P1, "f.txt");
  probe.put(P2, "link");
  probe.put(P3, "../other/secret.txt");
  probe.put(P4, "/etc/passwd");
  probe.put(P5, "f\0.txt");
  probe.put(P6, "sub");
  probe.put(P2 + 50, "..");
  probe.put(P6 + 50, "new");
  const c = probe.call;
  assert.is(c.path_symlink!(P1, 5, D, P2, 4), E.SUCCESS);
  assert.is(c.path_open!(D, 1, P1, 5, 0, 0x7fn, 0n, 0, OUT), E.SUCCESS);
  assert.is(probe.view().getUint32(OUT, true), F);
  assert.is(c.path_open!(D, 1, P6, 3, 2, 0n, 0n, 0, OUT), E.SUCCESS);
  assert.is(probe.view().getUint32(OUT, true), SUBDIR);
  // One iovec of 16 bytes at DATA, and a clock subscription of 0 ns.
  probe.view().setUint32(IOV, DATA, true);
  probe.view().setUint32(IOV + 4, 16, true);
  probe.view().setUint8(SUB + 8, 0);
  probe.view().setUint32(SUB + 16, 1, true);
  return { probe, d, other };
}

type Args = Array<number | bigint>;
/** One hostile call: a label, its arguments, and the errno(s) it must answer. */
type Case = [label: string, args: Args, expected: number | readonly number[]];

const badFd = (make: (fd: number) => Args): Case[] =>
  BADFDS.map((fd) => [`fd ${fd} is not open`, make(fd), E.BADF] as Case);

/** The hostile calls of every function. */
const CASES: Record<string, Case[]> = {
  args_get: [["argv out of bounds", [OOB, 0], E.FAULT], ["buffer wraps", [0, WRAP], E.FAULT], ["argv at end", [END, 0], E.FAULT]],
  args_sizes_get: [["count out of bounds", [OOB, 0], E.FAULT], ["size wraps", [0, WRAP], E.FAULT]],
  environ_get: [["environ out of bounds", [OOB, 0], E.FAULT], ["buffer wraps", [0, WRAP], E.FAULT]],
  environ_sizes_get: [["count at end", [END, 0], E.FAULT], ["size wraps", [0, WRAP], E.FAULT]],
  clock_res_get: [["unknown clock", [99, 0], E.INVAL], ["clock -1", [-1, 0], E.INVAL], ["result wraps", [0, WRAP], E.FAULT]],
  clock_time_get: [["unknown clock", [99, 0n, 0], E.INVAL], ["result out of bounds", [0, 0n, OOB], E.FAULT], [
    "result wraps",
    [1, -1n, WRAP],
    E.FAULT,
  ]],
  fd_advise: [...badFd((fd) => [fd, 0n, 0n, 0]), ["unknown advice", [F, -1n, -1n, 99], E.INVAL], ["on a directory", [D, 0n, 0n, 0], [E.ISDIR, E.BADF]]],
  fd_allocate: [
    ...badFd((fd) => [fd, 0n, 1n]),
    ["offset -1", [F, -1n, 1n], E.FBIG],
    ["length 2^62", [F, 0n, 2n ** 62n], E.FBIG],
    ["past the quota", [F, 0n, 2n ** 40n], [E.FBIG, E.NOSPC]],
    ["on stdin", [0, 0n, 1n], [E.BADF, E.SPIPE]],
  ],
  fd_close: badFd((fd) => [fd]),
  fd_datasync: badFd((fd) => [fd]),
  fd_fdstat_get: [...badFd((fd) => [fd, 0]), ["result out of bounds", [F, OOB], E.FAULT], ["result wraps", [1, WRAP], E.FAULT]],
  fd_fdstat_set_flags: [...badFd((fd) => [fd, 0]), ["unknown flags", [F, 0xff00], E.INVAL], ["all flags", [F, -1], E.INVAL]],
  fd_fdstat_set_rights: [
    ...badFd((fd) => [fd, 0n, 0n]),
    ["widen a file's rights", [F, -1n, -1n], E.NOTCAPABLE],
    ["widen stdout's rights", [1, -1n, 0n], E.NOTCAPABLE],
  ],
  fd_filestat_get: [...badFd((fd) => [fd, 0]), ["result out of bounds", [F, OOB], E.FAULT], ["result wraps", [D, WRAP], E.FAULT]],
  fd_filestat_set_size: [
    ...badFd((fd) => [fd, 0n]),
    ["size -1", [F, -1n], E.FBIG],
    ["size 2^53", [F, 2n ** 53n], E.FBIG],
    ["past the quota", [F, 2n ** 40n], [E.FBIG, E.NOSPC]],
    ["on a directory", [D, 0n], [E.INVAL, E.ISDIR, E.BADF]],
  ],
  fd_filestat_set_times: [...badFd((fd) => [fd, 0n, 0n, 0]), ["ATIM and ATIM_NOW", [F, 0n, 0n, 3], E.INVAL], ["MTIM and MTIM_NOW", [F, 0n, 0n, 12], E.INVAL]],
  fd_pread: [
    ...badFd((fd) => [fd, IOV, 1, 0n, OUT]),
    ["iovecs out of bounds", [F, OOB, 1, 0n, OUT], E.FAULT],
    ["iovec count 2^32-1", [F, IOV, HUGE, 0n, OUT], E.INVAL],
    ["nread out of bounds", [F, IOV, 1, 0n, OOB], E.FAULT],
    ["offset -1", [F, IOV, 1, -1n, OUT], E.FBIG],
    ["on stdout", [1, IOV, 1, 0n, OUT], E.SPIPE],
  ],
  fd_prestat_get: [...badFd((fd) => [fd, 0]), ["result out of bounds", [D, OOB], E.FAULT], ["not a preopen", [F, 0], E.BADF], [
    "a subdirectory is not a preopen",
    [SUBDIR, 0],
    E.BADF,
  ]],
  fd_prestat_dir_name: [
    ...badFd((fd) => [fd, 0, 8]),
    ["buffer out of bounds", [D, OOB, 8], E.FAULT],
    ["buffer wraps", [D, WRAP, 8], E.FAULT],
    ["buffer too small", [D, 0, 1], E.NAMETOOLONG],
  ],
  fd_pwrite: [
    ...badFd((fd) => [fd, IOV, 1, 0n, OUT]),
    ["iovecs out of bounds", [F, OOB, 1, 0n, OUT], E.FAULT],
    ["iovec count 2^32-1", [F, IOV, HUGE, 0n, OUT], E.INVAL],
    ["nwritten out of bounds", [F, IOV, 1, 0n, OOB], E.FAULT],
    ["offset -1", [F, IOV, 1, -1n, OUT], E.FBIG],
    ["on stdin", [0, IOV, 1, 0n, OUT], E.SPIPE],
  ],
  fd_read: [
    ...badFd((fd) => [fd, IOV, 1, OUT]),
    ["iovecs out of bounds", [F, OOB, 1, OUT], E.FAULT],
    ["iovec count 2^32-1", [0, IOV, HUGE, OUT], E.INVAL],
    ["nread out of bounds (stdin)", [0, IOV, 1, OOB], E.FAULT],
    ["nread wraps (file)", [F, IOV, 1, WRAP], E.FAULT],
  ],
  fd_readdir: [
    ...badFd((fd) => [fd, DATA, 64, 0n, OUT]),
    ["buffer out of bounds", [D, OOB, 64, 0n, OUT], E.FAULT],
    ["buffer of 4 GiB", [D, 0, HUGE, 0n, OUT], E.FAULT],
    ["buffer wraps", [D, WRAP, 8, 0n, OUT], E.FAULT],
    ["bufused out of bounds", [D, DATA, 64, 0n, OOB], E.FAULT],
    ["on a file", [F, DATA, 64, 0n, OUT], E.NOTDIR],
  ],
  fd_renumber: [...badFd((fd) => [F, fd]), ...badFd((fd) => [fd, F])],
  fd_seek: [
    ...badFd((fd) => [fd, 0n, 0, OUT]),
    ["before the start", [F, -1n, 0, OUT], E.INVAL],
    ["unknown whence", [F, 0n, 99, OUT], E.INVAL],
    ["past 2^53", [F, 2n ** 62n, 1, OUT], E.FBIG],
    ["result out of bounds", [F, 0n, 0, OOB], E.FAULT],
    ["result wraps", [F, 0n, 0, WRAP], E.FAULT],
    ["on stdout", [1, 0n, 0, OUT], E.SPIPE],
  ],
  fd_sync: badFd((fd) => [fd]),
  fd_tell: [...badFd((fd) => [fd, OUT]), ["result out of bounds", [F, OOB], E.FAULT], ["result wraps", [F, WRAP], E.FAULT], ["on stdout", [1, OUT], E.SPIPE]],
  fd_write: [
    ...badFd((fd) => [fd, IOV, 1, OUT]),
    ["iovecs out of bounds", [1, OOB, 1, OUT], E.FAULT],
    ["iovec count 2^32-1", [1, IOV, HUGE, OUT], E.INVAL],
    ["nwritten out of bounds (stdout)", [1, IOV, 1, OOB], E.FAULT],
    ["nwritten wraps (file)", [F, IOV, 1, WRAP], E.FAULT],
    ["on a directory", [D, IOV, 1, OUT], [E.ISDIR, E.BADF]],
  ],
  path_create_directory: [
    ...badFd((fd) => [fd, P6, 3]),
    ["path out of bounds", [D, OOB, 4], E.FAULT],
    ["path wraps", [D, WRAP, 8], E.FAULT],
    ["path of 4 GiB", [D, 0, HUGE], E.NAMETOOLONG],
    ["'..' out of the preopen", [D, P2 + 50, 2], E.NOTCAPABLE],
    ["absolute path", [D, P4, 11], E.NOTCAPABLE],
    ["NUL in the path", [D, P5, 6], E.INVAL],
    ["on a file fd", [F, P6, 3], E.NOTDIR],
  ],
  path_filestat_get: [
    ...badFd((fd) => [fd, 1, P1, 5, OUT]),
    ["path out of bounds", [D, 1, OOB, 4, OUT], E.FAULT],
    ["result out of bounds", [D, 1, P1, 5, OOB], E.FAULT],
    ["path of 4 GiB", [D, 1, 0, HUGE, OUT], E.NAMETOOLONG],
    ["escaping path", [D, 1, P3, 19, OUT], E.NOTCAPABLE],
    ["absolute path", [D, 1, P4, 11, OUT], E.NOTCAPABLE],
  ],
  path_filestat_set_times: [
    ...badFd((fd) => [fd, 0, P1, 5, 0n, 0n, 0]),
    ["path out of bounds", [D, 0, OOB, 4, 0n, 0n, 0], E.FAULT],
    ["escaping path", [D, 0, P3, 19, 0n, 0n, 1], E.NOTCAPABLE],
    ["ATIM and ATIM_NOW", [D, 0, P1, 5, 0n, 0n, 3], E.INVAL],
  ],
  path_link: [
    ...badFd((fd) => [fd, 0, P1, 5, D, P6 + 50, 3]),
    ...badFd((fd) => [D, 0, P1, 5, fd, P6 + 50, 3]),
    ["old path out of bounds", [D, 0, OOB, 4, D, P6, 3], E.FAULT],
    ["new path wraps", [D, 0, P1, 5, D, WRAP, 8], E.FAULT],
    ["link out of the preopen", [D, 0, P1, 5, D, P3, 19], E.NOTCAPABLE],
    ["link to a file outside", [D, 0, P3, 19, D, P6 + 50, 3], E.NOTCAPABLE],
  ],
  path_open: [
    ...badFd((fd) => [fd, 1, P1, 5, 0, 0n, 0n, 0, OUT]),
    ["path out of bounds", [D, 1, OOB, 4, 0, 0n, 0n, 0, OUT], E.FAULT],
    ["path of 4 GiB", [D, 1, 0, HUGE, 0, 0n, 0n, 0, OUT], E.NAMETOOLONG],
    ["result out of bounds, with O_CREAT", [D, 1, P6 + 50, 3, 1, 0x40n, 0n, 0, OOB], E.FAULT],
    ["unknown oflags with O_CREAT", [D, 1, P6 + 50, 3, 0xff, 0x40n, 0n, 0, OUT], E.INVAL],
    ["escaping path", [D, 1, P3, 19, 0, 0n, 0n, 0, OUT], E.NOTCAPABLE],
    ["absolute path", [D, 1, P4, 11, 0, 0n, 0n, 0, OUT], E.NOTCAPABLE],
    ["NUL in the path", [D, 1, P5, 6, 0, 0n, 0n, 0, OUT], E.INVAL],
    ["relative to a file", [F, 1, P1, 5, 0, 0n, 0n, 0, OUT], E.NOTDIR],
  ],
  path_readlink: [
    ...badFd((fd) => [fd, P2, 4, DATA, 64, OUT]),
    ["path out of bounds", [D, OOB, 4, DATA, 64, OUT], E.FAULT],
    ["buffer out of bounds", [D, P2, 4, OOB, 64, OUT], E.FAULT],
    ["bufused out of bounds", [D, P2, 4, DATA, 64, OOB], E.FAULT],
    ["not a link", [D, P1, 5, DATA, 64, OUT], E.INVAL],
    ["escaping path", [D, P3, 19, DATA, 64, OUT], E.NOTCAPABLE],
  ],
  path_remove_directory: [
    ...badFd((fd) => [fd, P6, 3]),
    ["path out of bounds", [D, OOB, 4], E.FAULT],
    ["'..' out of the preopen", [D, P2 + 50, 2], E.NOTCAPABLE],
    ["the preopen itself", [D, P2 + 50, 1], [BUSY, E.INVAL]],
    ["a file", [D, P1, 5], E.NOTDIR],
  ],
  path_rename: [
    ...badFd((fd) => [fd, P1, 5, D, P6 + 50, 3]),
    ...badFd((fd) => [D, P1, 5, fd, P6 + 50, 3]),
    ["old path out of bounds", [D, OOB, 4, D, P6 + 50, 3], E.FAULT],
    ["new path wraps", [D, P1, 5, D, WRAP, 8], E.FAULT],
    ["into the other preopen through '..'", [D, P1, 5, D, P3, 19], E.NOTCAPABLE],
    ["the preopen itself", [D, P2 + 50, 1, D, P6 + 50, 3], [BUSY, E.INVAL]],
  ],
  path_symlink: [
    ...badFd((fd) => [P1, 5, fd, P6 + 50, 3]),
    ["target out of bounds", [OOB, 4, D, P6 + 50, 3], E.FAULT],
    ["link path wraps", [P1, 5, D, WRAP, 8], E.FAULT],
    ["absolute target", [P4, 11, D, P6 + 50, 3], E.PERM],
    ["link placed outside", [P1, 5, D, P3, 19], E.NOTCAPABLE],
  ],
  path_unlink_file: [
    ...badFd((fd) => [fd, P1, 5]),
    ["path out of bounds", [D, OOB, 4], E.FAULT],
    ["escaping path", [D, P3, 19], E.NOTCAPABLE],
    ["a directory", [D, P6, 3], E.ISDIR],
  ],
  poll_oneoff: [
    ["subscriptions out of bounds", [OOB, DATA, 1, OUT], E.FAULT],
    ["events out of bounds", [SUB, OOB, 1, OUT], E.FAULT],
    ["nevents out of bounds", [SUB, DATA, 1, OOB], E.FAULT],
    ["no subscriptions", [SUB, DATA, 0, OUT], E.INVAL],
    ["4097 subscriptions", [0, 0, 4097, OUT], E.INVAL],
    ["2^32-1 subscriptions", [0, 0, HUGE, OUT], E.INVAL],
    ["4096 subscriptions past the end of memory", [0, 0, 4096, OUT], E.FAULT],
  ],
  proc_raise: [["SIGKILL", [9], [E.NOSYS, E.NOTSUP]], ["signal -1", [-1], [E.NOSYS, E.NOTSUP, E.INVAL]]],
  random_get: [["buffer out of bounds", [OOB, 4], E.FAULT], ["4 GiB", [0, HUGE], E.FAULT], ["buffer wraps", [WRAP, 8], E.FAULT]],
  sock_accept: [...badFd((fd) => [fd, 0, OUT]), ["a file is not a socket", [F, 0, OOB], E.NOTSOCK]],
  sock_recv: [...badFd((fd) => [fd, IOV, 1, 0, OUT, OUT + 4]), ["stdin is not a socket", [0, OOB, HUGE, 0, OOB, OOB], E.NOTSOCK]],
  sock_send: [...badFd((fd) => [fd, IOV, 1, 0, OUT]), ["stdout is not a socket", [1, OOB, HUGE, 0, OOB], E.NOTSOCK]],
  sock_shutdown: [...badFd((fd) => [fd, 3]), ["a directory is not a socket", [D, 99], E.NOTSOCK]],
};

test("the table covers every preview1 import the host implements", async () => {
  const { probe } = await setup();
  const implemented = Object.keys(probe.wasi.imports).sort();
  assert.equal(implemented, Object.keys(PREVIEW1).sort(), "the probe's signature table matches the host");
  const untested = implemented.filter((name) => !Object.hasOwn(CASES, name));
  // proc_exit unwinds by design and sched_yield takes no arguments: both have their own tests below.
  assert.equal(untested, ["proc_exit", "sched_yield"]);
});

for (const [name, cases] of Object.entries(CASES)) {
  test(`${name}() answers hostile arguments with an errno and changes nothing`, async () => {
    for (const [label, args, expected] of cases) {
      const { probe, d, other } = await setup();
      const memoryBefore = probe.bytes().slice();
      const treesBefore = [treeSnapshot(d), treeSnapshot(other)];
      let errno: number;
      try {
        errno = probe.call[name]!(...args);
      } catch (err) {
        throw new Error(`${name} (${label}) threw instead of answering an errno: ${String(err)}`);
      }
      const allowed = typeof expected === "number" ? [expected] : expected;
      assert.ok(Number.isInteger(errno) && errno > 0 && errno <= MAX_ERRNO, `${name} (${label}): ${errno} is not a failing errno`);
      assert.is.not(errno, IO, `${name} (${label}): IO stands for an internal host error`);
      assert.ok(allowed.includes(errno), `${name} (${label}): errno ${errno}, expected ${allowed.join(" or ")}`);
      // A failed call leaves everything as it was.
      assert.equal(probe.bytes(), memoryBefore, `${name} (${label}) wrote guest memory`);
      assert.equal([treeSnapshot(d), treeSnapshot(other)], treesBefore, `${name} (${label}) changed the filesystem`);
      assert.is(probe.wasi.stdoutBytes().byteLength, 0, `${name} (${label}) wrote to stdout`);
      // The host keeps serving: a normal read of the open file still works.
      probe.view().setUint32(IOV + 4, 4, true);
      assert.is(probe.call.fd_pread!(F, IOV, 1, 0n, OUT), E.SUCCESS, `${name} (${label}): the host stopped serving`);
      assert.is(new TextDecoder().decode(probe.bytes().slice(DATA, DATA + 4)), "data");
    }
  });
}

test("proc_exit() with any code unwinds the guest with that code, never a crash", async () => {
  for (const code of [0, 1, 255, -1, 0x7fff_ffff]) {
    const { probe } = await setup();
    try {
      probe.call.proc_exit!(code);
      assert.unreachable("proc_exit returned");
    } catch (err) {
      assert.is((err as { code?: number }).code, code >>> 0, `exit code ${code}`);
    }
  }
});

test("sched_yield() succeeds and a descriptor table full of opens ends in MFILE, then recovers", async () => {
  const { probe } = await setup();
  assert.is(probe.call.sched_yield!(), E.SUCCESS);
  const opened: number[] = [];
  let errno = E.SUCCESS as number;
  while (errno === E.SUCCESS && opened.length < 5000) {
    errno = probe.call.path_open!(D, 1, P1, 5, 0, 2n, 0n, 0, OUT);
    if (errno === E.SUCCESS) opened.push(probe.view().getUint32(OUT, true));
  }
  assert.is(errno, MFILE, "the table has a limit");
  assert.ok(opened.length < 1024, `${opened.length} descriptors opened`);
  // Closing one makes room again; nothing else was disturbed.
  assert.is(probe.call.fd_close!(opened[0]!), E.SUCCESS);
  assert.is(probe.call.path_open!(D, 1, P1, 5, 0, 2n, 0n, 0, OUT), E.SUCCESS);
  assert.is(probe.view().getUint32(OUT, true), opened[0]);
});

test.run();
