// WASI rights are enforced per operation: a directory descriptor that lost a
// right (fd_fdstat_set_rights) can no longer do what that right allows, and
// descriptors opened through it never hold more than it lets them inherit.
// A refused call is NOTCAPABLE, changes nothing, and the host keeps serving.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { E, OFLAGS, Probe, RIGHTS_READ, RIGHTS_WRITE } from "../wasi/_probe.ts";
import { defs } from "../../lib/wasi/_defs.ts";
import { memoryTree } from "../../lib/wasi/mod.ts";

const PRE = 3;
const OTHER = 4;
const bit = (n: number) => BigInt(n);
const PATH_AT = 1024;
const SECOND_PATH_AT = 3072;
const OUT_AT = 256;
const STAT_AT = 8192;

async function sandbox(): Promise<Probe> {
  return await Probe.create({
    preopens: [
      { guestPath: "/d", dir: memoryTree({ "f.txt": "text", sub: { "g.txt": "g" }, empty: {} }) },
      { guestPath: "/e", dir: memoryTree({ "h.txt": "h" }) },
    ],
  });
}

/** The fd's [rightsBase, rightsInheriting] from fd_fdstat_get. */
function rightsOf(probe: Probe, fd: number): [bigint, bigint] {
  assert.is(probe.fn.fd_fdstat_get!(fd, STAT_AT), E.SUCCESS);
  return [probe.view.getBigUint64(STAT_AT + 8, true), probe.view.getBigUint64(STAT_AT + 16, true)];
}

/** Drops `rights` from both sets of `fd`. */
function drop(probe: Probe, fd: number, rights: bigint): void {
  const [base, inheriting] = rightsOf(probe, fd);
  assert.is(probe.fn.fd_fdstat_set_rights!(fd, base & ~rights, inheriting & ~rights), E.SUCCESS);
}

function putPaths(probe: Probe, a: string, b = ""): [number, number] {
  const [x, y] = [new TextEncoder().encode(a), new TextEncoder().encode(b)];
  probe.bytes.set(x, PATH_AT);
  probe.bytes.set(y, SECOND_PATH_AT);
  return [x.byteLength, y.byteLength];
}

/** Every directory operation, each named by the right it needs. */
const operations: Array<[string, bigint, (p: Probe) => number]> = [
  ["path_open", bit(defs.RIGHTS_PATH_OPEN), (p) => p.open(PRE, "f.txt").errno],
  ["path_open of a directory", bit(defs.RIGHTS_PATH_OPEN), (p) => p.open(PRE, "sub", OFLAGS.DIRECTORY).errno],
  ["path_open O_CREAT", bit(defs.RIGHTS_PATH_CREATE_FILE), (p) => p.open(PRE, "new.txt", OFLAGS.CREAT, RIGHTS_WRITE).errno],
  ["path_open O_TRUNC", bit(defs.RIGHTS_PATH_FILESTAT_SET_SIZE), (p) => p.open(PRE, "f.txt", OFLAGS.TRUNC, RIGHTS_WRITE).errno],
  ["path_create_directory", bit(defs.RIGHTS_PATH_CREATE_DIRECTORY), (p) => p.pathCall("path_create_directory", PRE, "nd")],
  ["path_remove_directory", bit(defs.RIGHTS_PATH_REMOVE_DIRECTORY), (p) => p.pathCall("path_remove_directory", PRE, "empty")],
  ["path_unlink_file", bit(defs.RIGHTS_PATH_UNLINK_FILE), (p) => p.pathCall("path_unlink_file", PRE, "f.txt")],
  ["path_filestat_get", bit(defs.RIGHTS_PATH_FILESTAT_GET), (p) => p.fileSize(PRE, "f.txt").errno],
  ["path_filestat_set_times", bit(defs.RIGHTS_PATH_FILESTAT_SET_TIMES), (p) => {
    const [len] = putPaths(p, "f.txt");
    return p.fn.path_filestat_set_times!(PRE, 0, PATH_AT, len, 0n, 0n, defs.FSTFLAGS_MTIM_NOW);
  }],
  ["path_symlink", bit(defs.RIGHTS_PATH_SYMLINK), (p) => p.symlink("f.txt", PRE, "ln")],
  ["path_readlink", bit(defs.RIGHTS_PATH_READLINK), (p) => {
    const [len] = putPaths(p, "link");
    return p.fn.path_readlink!(PRE, PATH_AT, len, STAT_AT, 64, OUT_AT);
  }],
  ["path_rename (source)", bit(defs.RIGHTS_PATH_RENAME_SOURCE), (p) => {
    const [a, b] = putPaths(p, "f.txt", "h2.txt");
    return p.fn.path_rename!(PRE, PATH_AT, a, OTHER, SECOND_PATH_AT, b);
  }],
  ["path_rename (target)", bit(defs.RIGHTS_PATH_RENAME_TARGET), (p) => {
    const [a, b] = putPaths(p, "h.txt", "f2.txt");
    return p.fn.path_rename!(OTHER, PATH_AT, a, PRE, SECOND_PATH_AT, b);
  }],
  ["path_link (source)", bit(defs.RIGHTS_PATH_LINK_SOURCE), (p) => {
    const [a, b] = putPaths(p, "f.txt", "h2.txt");
    return p.fn.path_link!(PRE, 0, PATH_AT, a, OTHER, SECOND_PATH_AT, b);
  }],
  ["path_link (target)", bit(defs.RIGHTS_PATH_LINK_TARGET), (p) => {
    const [a, b] = putPaths(p, "h.txt", "f2.txt");
    return p.fn.path_link!(OTHER, 0, PATH_AT, a, PRE, SECOND_PATH_AT, b);
  }],
  ["fd_readdir", bit(defs.RIGHTS_FD_READDIR), (p) => p.readdir(PRE).errno],
  ["fd_filestat_get", bit(defs.RIGHTS_FD_FILESTAT_GET), (p) => p.fn.fd_filestat_get!(PRE, STAT_AT)],
  ["fd_filestat_set_times", bit(defs.RIGHTS_FD_FILESTAT_SET_TIMES), (p) => p.fn.fd_filestat_set_times!(PRE, 0n, 0n, defs.FSTFLAGS_MTIM_NOW)],
];

for (const [name, needed, call] of operations) {
  test(`${name} works with its right and is NOTCAPABLE without it`, async () => {
    const granted = await sandbox();
    assert.is(granted.symlink("f.txt", PRE, "link"), E.SUCCESS);
    assert.is(call(granted), E.SUCCESS);

    const refused = await sandbox();
    assert.is(refused.symlink("f.txt", PRE, "link"), E.SUCCESS);
    const before = refused.readdir(PRE).names;
    drop(refused, PRE, needed); // in two-directory calls, PRE is the side that needs `needed`
    assert.is(call(refused), E.NOTCAPABLE);
    // Nothing changed, in either preopen (unless listing itself was the right dropped).
    if (needed !== bit(defs.RIGHTS_FD_READDIR)) {
      assert.equal(refused.readdir(PRE).names, before);
      assert.equal(refused.readdir(OTHER).names, [".", "..", "h.txt"]);
    }
    // The host keeps serving: what still holds its rights still works.
    assert.equal(refused.read(refused.open(OTHER, "h.txt").fd), { errno: E.SUCCESS, text: "h" });
  });
}

test("after dropping every right, nothing can be done through the directory", async () => {
  const probe = await sandbox();
  assert.is(probe.fn.fd_fdstat_set_rights!(PRE, 0n, 0n), E.SUCCESS);
  assert.is(probe.open(PRE, "f.txt").errno, E.NOTCAPABLE);
  assert.is(probe.open(PRE, "sub", OFLAGS.DIRECTORY).errno, E.NOTCAPABLE);
  assert.is(probe.pathCall("path_create_directory", PRE, "x"), E.NOTCAPABLE);
  assert.is(probe.readdir(PRE).errno, E.NOTCAPABLE);
  assert.is(probe.fileSize(PRE, "f.txt").errno, E.NOTCAPABLE);
  // Rights never come back.
  assert.is(probe.fn.fd_fdstat_set_rights!(PRE, bit(defs.RIGHTS_PATH_OPEN), 0n), E.NOTCAPABLE);
  // Errors that do not depend on rights keep their errno.
  assert.is(probe.open(99, "f.txt").errno, E.BADF);
});

test("descriptors opened through a directory hold only what it lets them inherit", async () => {
  const probe = await sandbox();
  const write = bit(defs.RIGHTS_FD_WRITE);
  const [, inheriting] = rightsOf(probe, PRE);
  assert.is(probe.fn.fd_fdstat_set_rights!(PRE, rightsOf(probe, PRE)[0], inheriting & ~write), E.SUCCESS);
  // Asking for fd_write through it yields a descriptor without it: writes are refused.
  const file = probe.open(PRE, "f.txt", 0, RIGHTS_READ | RIGHTS_WRITE);
  assert.is(file.errno, E.SUCCESS);
  assert.is(rightsOf(probe, file.fd)[0] & write, 0n);
  assert.is(probe.write(file.fd, "x").errno, E.BADF);
  assert.equal(probe.read(file.fd), { errno: E.SUCCESS, text: "text" });
  // A subdirectory inherits the narrowed set, and passes it on.
  const sub = probe.open(PRE, "sub", OFLAGS.DIRECTORY);
  assert.is(sub.errno, E.SUCCESS);
  const [subBase, subInheriting] = rightsOf(probe, sub.fd);
  assert.is(subBase & ~(inheriting & ~write), 0n);
  assert.is(subInheriting & write, 0n);
  const inner = probe.open(sub.fd, "g.txt", 0, RIGHTS_WRITE);
  assert.is(probe.write(inner.fd, "x").errno, E.BADF);
  // Dropping path_open from the inheriting set: the subdirectory cannot open anything.
  assert.is(probe.fn.fd_fdstat_set_rights!(PRE, rightsOf(probe, PRE)[0], inheriting & ~write & ~bit(defs.RIGHTS_PATH_OPEN)), E.SUCCESS);
  const blind = probe.open(PRE, "sub", OFLAGS.DIRECTORY);
  assert.is(blind.errno, E.SUCCESS);
  assert.is(probe.open(blind.fd, "g.txt").errno, E.NOTCAPABLE);
});

test("file operations need their own rights too", async () => {
  const probe = await sandbox();
  const { fd } = probe.open(PRE, "f.txt", 0, RIGHTS_READ | RIGHTS_WRITE);
  drop(probe, fd, bit(defs.RIGHTS_FD_SEEK));
  assert.is(probe.fn.fd_seek!(fd, 2n, 0, OUT_AT), E.NOTCAPABLE);
  assert.is(probe.fn.fd_seek!(fd, 0n, 1, OUT_AT), E.SUCCESS); // where am I: fd_tell's right
  assert.is(probe.fn.fd_tell!(fd, OUT_AT), E.SUCCESS);
  assert.is(probe.fn.fd_pread!(fd, 512, 0, 0n, OUT_AT), E.NOTCAPABLE);
  drop(probe, fd, bit(defs.RIGHTS_FD_FILESTAT_SET_SIZE));
  assert.is(probe.fn.fd_filestat_set_size!(fd, 1n), E.NOTCAPABLE);
  drop(probe, fd, bit(defs.RIGHTS_FD_FILESTAT_GET));
  assert.is(probe.fn.fd_filestat_get!(fd, STAT_AT), E.NOTCAPABLE);
  // Reading and writing keep their POSIX answer.
  drop(probe, fd, bit(defs.RIGHTS_FD_READ));
  assert.is(probe.read(fd).errno, E.BADF);
  assert.equal(probe.write(fd, "T"), { errno: E.SUCCESS, n: 1 });
});

test.run();
