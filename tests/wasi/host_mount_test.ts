import { test } from "uvu";
import * as assert from "uvu/assert";
import { chmodSync, existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, readlinkSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { tempDir } from "../_helpers/temp.ts";
import { E, OFLAGS, Probe, RIGHTS_WRITE } from "./_probe.ts";
import { SandboxError } from "../../lib/errors.ts";
import { hostPlatform } from "../../lib/platform/host_platform.ts";
import { mountHostDirectory, VirtualFile, VirtualSymlink } from "../../lib/wasi/mod.ts";
import { writeBackComplete } from "../../lib/wasi/write_back_report.ts";

const { fs } = await hostPlatform();

const PRE = 3;

async function fixture(): Promise<{ root: string; outside: string }> {
  const base = await tempDir();
  const root = join(base, "mount");
  const outside = join(base, "secret.txt");
  writeFileSync(outside, "top secret");
  mkdirSync(join(root, "sub"), { recursive: true });
  writeFileSync(join(root, "a.txt"), "alpha");
  writeFileSync(join(root, "sub", "b.txt"), "beta");
  symlinkSync("sub/b.txt", join(root, "inside-link"));
  symlinkSync(outside, join(root, "abs-link"));
  symlinkSync("../secret.txt", join(root, "rel-escape"));
  symlinkSync("../../secret.txt", join(root, "sub", "deep-escape"));
  return { root, outside };
}

test("mountHostDirectory() loads files and keeps only symlinks that stay inside", async () => {
  const { root } = await fixture();
  const mount = await mountHostDirectory(root, { fs, readOnly: true });
  assert.ok(mount.dir.entries.get("a.txt") instanceof VirtualFile);
  assert.ok(mount.dir.entries.get("inside-link") instanceof VirtualSymlink);
  assert.is(mount.dir.entries.has("abs-link"), false);
  assert.is(mount.dir.entries.has("rel-escape"), false);
  assert.equal(mount.skipped.map((s) => s.path).sort(), ["abs-link", "rel-escape", "sub/deep-escape"]);
  const probe = await Probe.create({ preopens: [{ guestPath: "/m", dir: mount.dir }] });
  assert.equal(probe.read(probe.open(PRE, "inside-link").fd), { errno: E.SUCCESS, text: "beta" });
  assert.is(probe.open(PRE, "rel-escape").errno, E.NOENT);
  assert.is(probe.open(PRE, "../secret.txt").errno, E.NOTCAPABLE);
});

test("a read-only mount refuses writes and writeBack()", async () => {
  const { root } = await fixture();
  const mount = await mountHostDirectory(root, { fs, readOnly: true });
  const probe = await Probe.create({ preopens: [{ guestPath: "/m", dir: mount.dir }] });
  assert.is(probe.open(PRE, "a.txt", 0, RIGHTS_WRITE).errno, E.ROFS);
  assert.is(probe.pathCall("path_unlink_file", PRE, "a.txt"), E.ROFS);
  try {
    await mount.writeBack();
    assert.unreachable("writeBack on a read-only mount");
  } catch (err) {
    assert.ok(err instanceof SandboxError && err.code === "InvalidState");
  }
});

test("mountHostDirectory() refuses a tree over its quota", async () => {
  const { root } = await fixture();
  writeFileSync(join(root, "big.bin"), new Uint8Array(5000));
  try {
    await mountHostDirectory(root, { fs, quotaBytes: 1000 });
    assert.unreachable("over quota");
  } catch (err) {
    assert.ok(err instanceof SandboxError && err.code === "MemoryLimit");
  }
});

test("mountHostDirectory() on a missing path is NotFound", async () => {
  const base = await tempDir();
  try {
    await mountHostDirectory(join(base, "nope"), { fs });
    assert.unreachable("missing");
  } catch (err) {
    assert.ok(err instanceof SandboxError && err.code === "NotFound");
  }
});

test("writeBack() creates, updates and deletes to match the guest's changes", async () => {
  const { root, outside } = await fixture();
  const mount = await mountHostDirectory(root, { fs, readOnly: false });
  const probe = await Probe.create({ preopens: [{ guestPath: "/m", dir: mount.dir }] });
  const created = probe.open(PRE, "sub/new.txt", OFLAGS.CREAT, RIGHTS_WRITE);
  probe.write(created.fd, "fresh");
  const updated = probe.open(PRE, "a.txt", OFLAGS.TRUNC, RIGHTS_WRITE);
  probe.write(updated.fd, "ALPHA");
  assert.is(probe.pathCall("path_create_directory", PRE, "made"), E.SUCCESS);
  assert.is(probe.pathCall("path_unlink_file", PRE, "sub/b.txt"), E.SUCCESS);
  assert.is(probe.symlink("made", PRE, "to-made"), E.SUCCESS);
  assert.is(probe.symlink("../outside", PRE, "bad-link"), E.SUCCESS); // dangling in the sandbox
  // Host files are untouched until writeBack().
  assert.is(readFileSync(join(root, "a.txt"), "utf8"), "alpha");
  const report = await mount.writeBack();
  assert.equal(report.refused.map((r) => r.path), ["bad-link"]);
  assert.equal(report.conflicts, []);
  assert.equal(report.failed, []);
  assert.is(readFileSync(join(root, "a.txt"), "utf8"), "ALPHA");
  assert.is(readFileSync(join(root, "sub", "new.txt"), "utf8"), "fresh");
  assert.ok(lstatSync(join(root, "made")).isDirectory());
  assert.is(existsSync(join(root, "sub", "b.txt")), false);
  assert.is(readlinkSync(join(root, "to-made")), "made");
  assert.is(existsSync(join(root, "bad-link")), false); // never materialised: it points out
  // The outward links the guest never saw stay on the host; the file they point at is untouched.
  assert.is(readlinkSync(join(root, "abs-link")), outside);
  assert.is(readFileSync(outside, "utf8"), "top secret");
});

test("writeBack() never writes through a symlink planted on the host; the swap is a conflict", async () => {
  const { root, outside } = await fixture();
  const mount = await mountHostDirectory(root, { fs, readOnly: false });
  const probe = await Probe.create({ preopens: [{ guestPath: "/m", dir: mount.dir }] });
  probe.write(probe.open(PRE, "a.txt", OFLAGS.TRUNC, RIGHTS_WRITE).fd, "changed");
  // Between load and write-back, someone swaps a.txt for a link to a file outside the mount.
  const { rmSync } = await import("node:fs");
  rmSync(join(root, "a.txt"));
  symlinkSync(outside, join(root, "a.txt"));
  const report = await mount.writeBack();
  assert.is(readFileSync(outside, "utf8"), "top secret");
  assert.is(readlinkSync(join(root, "a.txt")), outside); // the host's change is kept, not overwritten
  assert.equal(report.conflicts.map((c) => c.path), ["a.txt"]);
  assert.equal(report.applied, []);
});

test("writeBack() reports what it applied, and nothing when the guest changed nothing", async () => {
  const { root } = await fixture();
  const mount = await mountHostDirectory(root, { fs, readOnly: false });
  assert.equal(await mount.writeBack(), { applied: [], skipped: [], conflicts: [], refused: [], failed: [] });
  const probe = await Probe.create({ preopens: [{ guestPath: "/m", dir: mount.dir }] });
  probe.write(probe.open(PRE, "sub/b.txt", OFLAGS.TRUNC, RIGHTS_WRITE).fd, "BETA");
  assert.is(probe.pathCall("path_unlink_file", PRE, "a.txt"), E.SUCCESS);
  const report = await mount.writeBack();
  assert.equal(report.applied, [{ path: "a.txt", action: "delete" }, { path: "sub/b.txt", action: "write" }]);
  assert.ok(writeBackComplete(report));
  assert.is(readFileSync(join(root, "sub", "b.txt"), "utf8"), "BETA");
  // No staging directory is left behind.
  assert.equal(readdirSync(root).filter((n) => n.startsWith(".wasm-sandbox")), []);
});

test("writeBack() keeps a replaced file's permission bits", async () => {
  const { root } = await fixture();
  const script = join(root, "run.sh");
  writeFileSync(script, "#!/bin/sh\n");
  chmodSync(script, 0o750);
  const mount = await mountHostDirectory(root, { fs, readOnly: false });
  const probe = await Probe.create({ preopens: [{ guestPath: "/m", dir: mount.dir }] });
  probe.write(probe.open(PRE, "run.sh", OFLAGS.TRUNC, RIGHTS_WRITE).fd, "#!/bin/sh\necho hi\n");
  assert.ok(writeBackComplete(await mount.writeBack()));
  assert.is(statSync(script).mode & 0o777, 0o750);
  assert.is(readFileSync(script, "utf8"), "#!/bin/sh\necho hi\n");
});

test.run();
