import { test } from "uvu";
import * as assert from "uvu/assert";
import { E, OFLAGS, Probe, RIGHTS_READ, RIGHTS_WRITE } from "./_probe.ts";
import { SandboxError } from "../../lib/errors.ts";
import { memoryTree, VirtualFile, WasiHost } from "../../lib/wasi/mod.ts";

const PRE = 3; // the first preopen's fd

function tree() {
  return memoryTree({ "a.txt": "alpha", sub: { "b.txt": "beta" }, empty: {} });
}

test("fd_prestat_get/dir_name report the preopen's guest path", async () => {
  const probe = await Probe.create({ preopens: [{ guestPath: "/data", dir: tree() }] });
  assert.is(probe.fn.fd_prestat_get!(PRE, 0), E.SUCCESS);
  assert.is(probe.view.getUint32(4, true), 5);
  assert.is(probe.fn.fd_prestat_dir_name!(PRE, 100, 5), E.SUCCESS);
  assert.is(new TextDecoder().decode(probe.bytes.slice(100, 105)), "/data");
  assert.is(probe.fn.fd_prestat_dir_name!(PRE, 100, 2), E.NAMETOOLONG);
  assert.is(probe.fn.fd_prestat_get!(PRE + 1, 0), E.BADF);
});

test("path_open() + fd_read() read a file from the tree", async () => {
  const probe = await Probe.create({ preopens: [{ guestPath: "/data", dir: tree() }] });
  const { errno, fd } = probe.open(PRE, "sub/b.txt");
  assert.is(errno, E.SUCCESS);
  assert.equal(probe.read(fd), { errno: E.SUCCESS, text: "beta" });
  assert.is(probe.open(PRE, "missing.txt").errno, E.NOENT);
  assert.is(probe.open(PRE, "a.txt/").errno, E.NOTDIR);
});

test("fd_write() creates, appends and is visible to the host tree", async () => {
  const dir = tree();
  const probe = await Probe.create({ preopens: [{ guestPath: "/data", dir }] });
  const created = probe.open(PRE, "new.txt", OFLAGS.CREAT | OFLAGS.EXCL, RIGHTS_WRITE);
  assert.is(created.errno, E.SUCCESS);
  assert.equal(probe.write(created.fd, "one "), { errno: E.SUCCESS, n: 4 });
  assert.is(probe.fn.fd_close!(created.fd), E.SUCCESS);
  assert.is(probe.open(PRE, "new.txt", OFLAGS.CREAT | OFLAGS.EXCL, RIGHTS_WRITE).errno, E.EXIST);
  const appended = probe.open(PRE, "new.txt", 0, RIGHTS_WRITE, 1 /* APPEND */);
  probe.write(appended.fd, "two");
  const file = dir.entries.get("new.txt") as VirtualFile;
  assert.is(new TextDecoder().decode(file.contents()), "one two");
});

test("fd_read() needs the read right and fd_write() the write right", async () => {
  const probe = await Probe.create({ preopens: [{ guestPath: "/data", dir: tree() }] });
  const readOnly = probe.open(PRE, "a.txt", 0, RIGHTS_READ);
  assert.is(probe.write(readOnly.fd, "x").errno, E.BADF);
  const writeOnly = probe.open(PRE, "a.txt", 0, RIGHTS_WRITE);
  assert.is(probe.read(writeOnly.fd).errno, E.BADF);
});

test("fd_readdir() lists ., .. and the entries", async () => {
  const probe = await Probe.create({ preopens: [{ guestPath: "/data", dir: tree() }] });
  assert.equal(probe.readdir(PRE), { errno: E.SUCCESS, names: [".", "..", "a.txt", "sub", "empty"] });
  const sub = probe.open(PRE, "sub", OFLAGS.DIRECTORY);
  assert.equal(probe.readdir(sub.fd).names, [".", "..", "b.txt"]);
  assert.is(probe.readdir(1).errno, E.NOTDIR);
});

test("path_rename() moves files and refuses a directory into itself", async () => {
  const dir = tree();
  const probe = await Probe.create({ preopens: [{ guestPath: "/data", dir }] });
  assert.is(probe.rename(PRE, "a.txt", "sub/moved.txt"), E.SUCCESS);
  assert.is(dir.entries.has("a.txt"), false);
  assert.equal(probe.readdir(probe.open(PRE, "sub", OFLAGS.DIRECTORY).fd).names, [".", "..", "b.txt", "moved.txt"]);
  assert.is(probe.rename(PRE, "sub", "sub/inner"), E.INVAL);
  assert.is(probe.rename(PRE, "sub/b.txt", "empty"), E.ISDIR);
  assert.is(probe.rename(PRE, "empty", "sub"), E.NOTEMPTY);
  assert.is(probe.rename(PRE, "nothing", "x"), E.NOENT);
});

test("path_unlink_file() and path_remove_directory() follow POSIX errors", async () => {
  const probe = await Probe.create({ preopens: [{ guestPath: "/data", dir: tree() }] });
  assert.is(probe.pathCall("path_unlink_file", PRE, "sub"), E.ISDIR);
  assert.is(probe.pathCall("path_remove_directory", PRE, "sub"), E.NOTEMPTY);
  assert.is(probe.pathCall("path_remove_directory", PRE, "a.txt"), E.NOTDIR);
  assert.is(probe.pathCall("path_unlink_file", PRE, "sub/b.txt"), E.SUCCESS);
  assert.is(probe.pathCall("path_remove_directory", PRE, "sub"), E.SUCCESS);
  assert.is(probe.pathCall("path_unlink_file", PRE, "sub/b.txt"), E.NOENT);
});

test("a read-only tree refuses unlink, rename into it, truncation and growth", async () => {
  const probe = await Probe.create({
    preopens: [
      { guestPath: "/ro", dir: memoryTree({ "f.txt": "fixed", d: {} }, { readOnly: true }) },
      { guestPath: "/rw", dir: memoryTree({ "g.txt": "free" }) },
    ],
  });
  const RO = PRE;
  const RW = PRE + 1;
  assert.is(probe.pathCall("path_unlink_file", RO, "f.txt"), E.ROFS);
  assert.is(probe.pathCall("path_remove_directory", RO, "d"), E.ROFS);
  assert.is(probe.pathCall("path_create_directory", RO, "new"), E.ROFS);
  assert.is(probe.open(RO, "new.txt", OFLAGS.CREAT, RIGHTS_WRITE).errno, E.ROFS);
  assert.is(probe.open(RO, "f.txt", OFLAGS.TRUNC).errno, E.ROFS);
  assert.is(probe.open(RO, "f.txt", 0, RIGHTS_WRITE).errno, E.ROFS);
  // rename from the writable tree into the read-only one
  const a = new TextEncoder().encode("g.txt");
  const b = new TextEncoder().encode("g.txt");
  probe.bytes.set(a, 1024);
  probe.bytes.set(b, 3072);
  assert.is(probe.fn.path_rename!(RW, 1024, a.byteLength, RO, 3072, b.byteLength), E.ROFS);
  // reading still works
  assert.equal(probe.read(probe.open(RO, "f.txt").fd), { errno: E.SUCCESS, text: "fixed" });
});

test("a read-only file opened for reading can't be truncated or grown", async () => {
  const dir = memoryTree({});
  dir.entries.set("locked.bin", Object.assign(new VirtualFile(new Uint8Array([1, 2, 3]), true), { nlink: 1 }));
  const probe = await Probe.create({ preopens: [{ guestPath: "/d", dir }] });
  const { fd } = probe.open(PRE, "locked.bin", 0, RIGHTS_READ);
  assert.is(probe.fn.fd_filestat_set_size!(fd, 0n), E.BADF); // no write right on a read-only open
  assert.is(probe.write(fd, "more").errno, E.BADF);
  assert.is(probe.pathCall("path_unlink_file", PRE, "locked.bin"), E.SUCCESS); // the directory is writable
});

test("writes past the filesystem quota fail with NOSPC and leave the file intact", async () => {
  const dir = memoryTree({});
  const probe = await Probe.create({ preopens: [{ guestPath: "/d", dir }], fsQuotaBytes: 4096 });
  const { fd } = probe.open(PRE, "big.bin", OFLAGS.CREAT, RIGHTS_WRITE);
  assert.is(probe.write(fd, new Uint8Array(3000)).errno, E.SUCCESS);
  assert.is(probe.write(fd, new Uint8Array(3000)).errno, E.NOSPC);
  assert.is(probe.fn.fd_filestat_set_size!(fd, 1n << 30n), E.NOSPC);
  assert.is(probe.fn.fd_filestat_set_size!(fd, 1n << 40n), E.FBIG);
  assert.is((dir.entries.get("big.bin") as VirtualFile).size, 3000);
  // truncating frees quota for new writes
  assert.is(probe.fn.fd_filestat_set_size!(fd, 0n), E.SUCCESS);
  assert.is(probe.fn.fd_seek!(fd, 0n, 0, 0), E.SUCCESS);
  assert.is(probe.write(fd, new Uint8Array(3000)).errno, E.SUCCESS);
});

test("creating many empty files is bounded by the quota too", async () => {
  const probe = await Probe.create({ preopens: [{ guestPath: "/d", dir: memoryTree({}) }], fsQuotaBytes: 2048 });
  let errno = E.SUCCESS as number;
  let created = 0;
  while (errno === E.SUCCESS && created < 1000) {
    errno = probe.pathCall("path_create_directory", PRE, `d${created}`);
    if (errno === E.SUCCESS) created++;
  }
  assert.is(errno, E.NOSPC);
  assert.ok(created > 0 && created < 1000);
});

test("WasiHost refuses preopens larger than the quota", () => {
  const dir = memoryTree({ "big.bin": new Uint8Array(10_000) });
  assert.throws(
    () => new WasiHost({ preopens: [{ guestPath: "/d", dir }], fsQuotaBytes: 1000 }),
    (err: unknown) => err instanceof SandboxError && err.code === "MemoryLimit",
  );
});

test("symlinks inside the tree resolve, and readlink returns the target", async () => {
  const probe = await Probe.create({ preopens: [{ guestPath: "/d", dir: tree() }] });
  assert.is(probe.symlink("sub/b.txt", PRE, "link"), E.SUCCESS);
  assert.equal(probe.read(probe.open(PRE, "link").fd), { errno: E.SUCCESS, text: "beta" });
  assert.is(probe.open(PRE, "link", 0, RIGHTS_READ, 0, 0).errno, E.LOOP); // O_NOFOLLOW
  const [ptr, len] = probe.putPath("link");
  assert.is(probe.fn.path_readlink!(PRE, ptr, len, 4000, 100, 0), E.SUCCESS);
  assert.is(new TextDecoder().decode(probe.bytes.slice(4000, 4000 + probe.view.getUint32(0, true))), "sub/b.txt");
  assert.is(probe.symlink("/etc/passwd", PRE, "abs"), E.PERM);
});

test.run();
