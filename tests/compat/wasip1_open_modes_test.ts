// path_open as real toolchains call it. Each toolchain turns POSIX open modes
// into preview1 rights its own way: wasi-libc (C, C++, Rust std through libc)
// and Go's wasip1 port send different masks for O_RDONLY. A read must work on
// a read-only tree whichever mask is used, and a write must be refused.
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { memoryTree } from "../../lib/wasi/mod.ts";
import { E, Probe } from "../wasi/_probe.ts";

const test = suite("path_open with toolchain open modes");

/** preview1 right bits, by their position in the spec's `rights` flags. */
const bit = (n: number) => 1n << BigInt(n);
const FD_DATASYNC = bit(0), FD_READ = bit(1), FD_WRITE = bit(6), FD_ALLOCATE = bit(8), FD_READDIR = bit(14);
const PATH_FILESTAT_SET_SIZE = bit(19), FD_FILESTAT_SET_SIZE = bit(22);
const ALL_64 = (1n << 64n) - 1n;

/**
 * wasi-libc: every right, minus the read and the write groups, plus the group
 * each mode asks for (then masked by the directory's inheriting rights).
 */
const LIBC_READ = FD_READ | FD_READDIR;
const LIBC_WRITE = FD_DATASYNC | FD_WRITE | FD_ALLOCATE | FD_FILESTAT_SET_SIZE;
const LIBC_BASE = ALL_64 & ~LIBC_READ & ~LIBC_WRITE;

/**
 * Go (GOOS=wasip1): the 28 file rights, minus a "write" group that names
 * path_filestat_set_size where wasi-libc names fd_filestat_set_size, so
 * O_RDONLY still asks for fd_filestat_set_size.
 */
const GO_FILE = (1n << 28n) - 1n;
const GO_READ = FD_READ | FD_READDIR;
const GO_WRITE = FD_DATASYNC | FD_WRITE | FD_ALLOCATE | PATH_FILESTAT_SET_SIZE;

type Mode = "O_RDONLY" | "O_WRONLY" | "O_RDWR";
const TOOLCHAINS: Record<string, Record<Mode, bigint>> = {
  "wasi-libc": {
    O_RDONLY: LIBC_BASE | LIBC_READ,
    O_WRONLY: LIBC_BASE | LIBC_WRITE,
    O_RDWR: LIBC_BASE | LIBC_READ | LIBC_WRITE,
  },
  go: {
    O_RDONLY: GO_FILE & ~GO_WRITE,
    O_WRONLY: GO_FILE & ~GO_READ,
    O_RDWR: GO_FILE,
  },
};

const PRE = 3;
const OUT = 256;
const STAT = 4096;

/** path_open the way the toolchain does: its mask, limited by the directory's inheriting rights. */
function openAs(probe: Probe, mask: bigint, path: string): { errno: number; fd: number } {
  assert.is(probe.fn.fd_fdstat_get!(PRE, STAT), E.SUCCESS);
  const inheriting = probe.view.getBigUint64(STAT + 16, true);
  const [ptr, len] = probe.putPath(path);
  const errno = probe.fn.path_open!(PRE, 1, ptr, len, 0, mask & inheriting, mask, 0, OUT);
  return { errno, fd: probe.view.getUint32(OUT, true) };
}

for (const [toolchain, modes] of Object.entries(TOOLCHAINS)) {
  test(`${toolchain}: O_RDONLY reads a read-only file, and the descriptor cannot change it`, async () => {
    const dir = memoryTree({ "f.txt": "fixed" }, { readOnly: true });
    const probe = await Probe.create({ preopens: [{ guestPath: "/ro", dir }] });
    const opened = openAs(probe, modes.O_RDONLY, "f.txt");
    assert.is(opened.errno, E.SUCCESS);
    assert.equal(probe.read(opened.fd), { errno: E.SUCCESS, text: "fixed" });
    assert.is(probe.write(opened.fd, "x").errno, E.BADF);
    assert.is.not(probe.fn.fd_filestat_set_size!(opened.fd, 0n), E.SUCCESS);
    assert.is(probe.fileSize(PRE, "f.txt").size, 5n);
  });

  test(`${toolchain}: O_WRONLY and O_RDWR on a read-only file fail with ROFS`, async () => {
    const dir = memoryTree({ "f.txt": "fixed" }, { readOnly: true });
    const probe = await Probe.create({ preopens: [{ guestPath: "/ro", dir }] });
    assert.is(openAs(probe, modes.O_WRONLY, "f.txt").errno, E.ROFS);
    assert.is(openAs(probe, modes.O_RDWR, "f.txt").errno, E.ROFS);
  });

  test(`${toolchain}: on a writable tree each mode gets what it asked for`, async () => {
    const dir = memoryTree({ "f.txt": "fixed" });
    const probe = await Probe.create({ preopens: [{ guestPath: "/rw", dir }] });
    const readOnly = openAs(probe, modes.O_RDONLY, "f.txt");
    assert.is(readOnly.errno, E.SUCCESS);
    assert.is(probe.read(readOnly.fd).text, "fixed");

    const writeOnly = openAs(probe, modes.O_WRONLY, "f.txt");
    assert.is(writeOnly.errno, E.SUCCESS);
    assert.equal(probe.write(writeOnly.fd, "FI"), { errno: E.SUCCESS, n: 2 });
    assert.is.not(probe.read(writeOnly.fd).errno, E.SUCCESS);

    const readWrite = openAs(probe, modes.O_RDWR, "f.txt");
    assert.is(readWrite.errno, E.SUCCESS);
    assert.is(probe.read(readWrite.fd).text, "FIxed");
    assert.is(probe.fn.fd_filestat_set_size!(readWrite.fd, 2n), E.SUCCESS);
    assert.is(probe.fileSize(PRE, "f.txt").size, 2n);
  });
}

test("a read-only tree still refuses O_RDONLY | O_CREAT of a new file and O_TRUNC", async () => {
  const dir = memoryTree({ "f.txt": "fixed" }, { readOnly: true });
  const probe = await Probe.create({ preopens: [{ guestPath: "/ro", dir }] });
  const [ptr, len] = probe.putPath("new.txt");
  assert.is(probe.fn.path_open!(PRE, 1, ptr, len, 1, TOOLCHAINS.go!.O_RDONLY, 0n, 0, OUT), E.ROFS);
  const [fptr, flen] = probe.putPath("f.txt");
  assert.is(probe.fn.path_open!(PRE, 1, fptr, flen, 8, TOOLCHAINS.go!.O_RDONLY, 0n, 0, OUT), E.ROFS);
  assert.is(probe.fileSize(PRE, "f.txt").size, 5n);
});

test.run();
