// Hostile paths from the guest: every one must end in an errno, never a host
// exception, and never reach anything outside the preopen it is relative to.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { E, OFLAGS, Probe, RIGHTS_WRITE } from "../wasi/_probe.ts";
import { memoryTree } from "../../lib/wasi/mod.ts";

const PRE = 3;

async function sandbox(): Promise<Probe> {
  // Two preopens side by side: escaping /inner must never reach /other.
  return await Probe.create({
    preopens: [
      { guestPath: "/inner", dir: memoryTree({ "ok.txt": "fine", sub: { "x.txt": "x" } }) },
      { guestPath: "/other", dir: memoryTree({ "secret.txt": "secret" }) },
    ],
  });
}

test("'..' above the preopen is NOTCAPABLE, however it is spelled", async () => {
  const probe = await sandbox();
  for (const path of ["..", "../other/secret.txt", "sub/../../other", "sub/./../..", "./..//x", "sub/../sub/../../"]) {
    assert.is(probe.open(PRE, path).errno, E.NOTCAPABLE, path);
  }
  assert.is(probe.pathCall("path_create_directory", PRE, "../escape"), E.NOTCAPABLE);
  assert.is(probe.pathCall("path_unlink_file", PRE, "../other/secret.txt"), E.NOTCAPABLE);
  assert.is(probe.rename(PRE, "ok.txt", "../stolen.txt"), E.NOTCAPABLE);
});

test("'..' inside the preopen still works", async () => {
  const probe = await sandbox();
  assert.equal(probe.read(probe.open(PRE, "sub/../ok.txt").fd), { errno: E.SUCCESS, text: "fine" });
});

test("absolute paths are NOTCAPABLE", async () => {
  const probe = await sandbox();
  assert.is(probe.open(PRE, "/inner/ok.txt").errno, E.NOTCAPABLE);
  assert.is(probe.open(PRE, "/etc/passwd").errno, E.NOTCAPABLE);
  assert.is(probe.pathCall("path_create_directory", PRE, "/tmp/x"), E.NOTCAPABLE);
});

test("a subdirectory fd is its own root", async () => {
  const probe = await sandbox();
  const sub = probe.open(PRE, "sub", OFLAGS.DIRECTORY);
  assert.is(sub.errno, E.SUCCESS);
  assert.is(probe.open(sub.fd, "../ok.txt").errno, E.NOTCAPABLE);
  assert.is(probe.open(sub.fd, "x.txt").errno, E.SUCCESS);
});

test("NUL bytes, invalid UTF-8 and empty paths are rejected", async () => {
  const probe = await sandbox();
  assert.is(probe.open(PRE, "ok.txt\0").errno, E.INVAL);
  assert.is(probe.open(PRE, "ok\0.txt").errno, E.INVAL);
  assert.is(probe.open(PRE, new Uint8Array([0x6f, 0xff, 0xfe])).errno, E.ILSEQ);
  assert.is(probe.open(PRE, new Uint8Array([0xc0, 0xaf])).errno, E.ILSEQ); // overlong '/'
  assert.is(probe.open(PRE, new Uint8Array([0xed, 0xa0, 0x80])).errno, E.ILSEQ); // lone surrogate
  assert.is(probe.open(PRE, "").errno, E.NOENT);
  assert.is(probe.pathCall("path_create_directory", PRE, new Uint8Array([0x80])), E.ILSEQ);
});

test("overlong paths and names fail with NAMETOOLONG", async () => {
  const probe = await sandbox();
  assert.is(probe.open(PRE, "a/".repeat(2100)).errno, E.NAMETOOLONG);
  assert.is(probe.open(PRE, "n".repeat(300), OFLAGS.CREAT, RIGHTS_WRITE).errno, E.NAMETOOLONG);
});

test("symlink loops end in LOOP, not a hang or a stack overflow", async () => {
  const probe = await sandbox();
  assert.is(probe.symlink("b", PRE, "a"), E.SUCCESS);
  assert.is(probe.symlink("a", PRE, "b"), E.SUCCESS);
  assert.is(probe.symlink("self/x", PRE, "self"), E.SUCCESS);
  assert.is(probe.open(PRE, "a").errno, E.LOOP);
  assert.is(probe.open(PRE, "self").errno, E.LOOP);
  assert.is(probe.pathCall("path_create_directory", PRE, "a/new"), E.LOOP);
});

test("symlinks cannot carry a path out of the preopen", async () => {
  const probe = await sandbox();
  assert.is(probe.symlink("../other/secret.txt", PRE, "up"), E.SUCCESS);
  assert.is(probe.symlink("sub/../..", PRE, "up2"), E.SUCCESS);
  assert.is(probe.open(PRE, "up").errno, E.NOTCAPABLE);
  assert.is(probe.open(PRE, "up2/other/secret.txt").errno, E.NOTCAPABLE);
  assert.is(probe.open(PRE, "up2", OFLAGS.CREAT, RIGHTS_WRITE).errno, E.NOTCAPABLE);
  assert.is(probe.symlink("/etc/passwd", PRE, "abs"), E.PERM);
});

test("path functions on a non-directory fd fail with NOTDIR or BADF", async () => {
  const probe = await sandbox();
  const file = probe.open(PRE, "ok.txt");
  assert.is(probe.open(file.fd, "x").errno, E.NOTDIR);
  assert.is(probe.open(1, "x").errno, E.NOTDIR);
  assert.is(probe.open(999, "x").errno, E.BADF);
  assert.is(probe.open(-1 >>> 0, "x").errno, E.BADF);
});

test.run();
