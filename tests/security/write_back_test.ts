// Hostile write-back: a guest (driven through the real WASI imports) or another host process
// tries to make a mount's write-back reach outside the mount, delete what it must not, or
// leave the host half-written.
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { execFileSync } from "node:child_process";
import {
  existsSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  renameSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { join } from "node:path";
import { tempDir } from "../_helpers/temp.ts";
import { E, OFLAGS, Probe, RIGHTS_WRITE } from "../wasi/_probe.ts";
import { SandboxError } from "../../lib/errors.ts";
import { hostPlatform } from "../../lib/platform/host_platform.ts";
import type { HostFileSystem, HostPlatform } from "../../lib/platform/types.ts";
import { mountHostDirectory, VirtualFile, VirtualSymlink, WasiHost } from "../../lib/wasi/mod.ts";
import type { HostMount } from "../../lib/wasi/mod.ts";

const { fs } = await hostPlatform();

const test = suite("security: write-back stays inside the mount");
const PRE = 3;

/** base/mount holding a.txt and sub/b.txt; base/secret.txt outside it. */
async function fixture(): Promise<{ base: string; root: string; secret: string }> {
  const base = await tempDir();
  const root = join(base, "mount");
  mkdirSync(join(root, "sub"), { recursive: true });
  writeFileSync(join(root, "a.txt"), "alpha");
  writeFileSync(join(root, "sub", "b.txt"), "beta");
  const secret = join(base, "secret.txt");
  writeFileSync(secret, "top secret");
  return { base, root, secret };
}

async function guest(mount: HostMount): Promise<Probe> {
  return await Probe.create({ preopens: [{ guestPath: "/m", dir: mount.dir }] });
}

function exists(path: string): boolean {
  try {
    lstatSync(path);
    return true;
  } catch {
    return false;
  }
}

function expectSandboxError(fn: () => unknown, code: string): SandboxError {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof SandboxError, String(err));
    assert.is(err.code, code);
    return err;
  }
  assert.unreachable(`expected SandboxError(${code})`);
  throw new Error("unreachable");
}

test("a guest link leading out through another guest link (d/up -> .., esc -> d/up/../secret) is refused", async () => {
  const { root, secret } = await fixture();
  const mount = await mountHostDirectory(root, { fs });
  const g = await guest(mount);
  assert.is(g.pathCall("path_create_directory", PRE, "d"), E.SUCCESS);
  assert.is(g.symlink("..", PRE, "d/up"), E.SUCCESS);
  assert.is(g.symlink("d/up/../secret.txt", PRE, "esc"), E.SUCCESS);
  const report = await mount.writeBack();
  assert.is(exists(join(root, "esc")), false);
  assert.is(readlinkSync(join(root, "d", "up")), ".."); // harmless alone: d/.. is the mount root
  assert.equal(report.refused.map((r) => r.path), ["esc"]);
  assert.match(report.refused[0].reason, /climbs above the mount root/);
  assert.is(readFileSync(secret, "utf8"), "top secret");
});

test("a guest link that would make an unchanged host link lead out is refused", async () => {
  const { base, root } = await fixture();
  mkdirSync(join(root, "d", "e"), { recursive: true });
  symlinkSync("d/e/../..", join(root, "x")); // the mount root, as long as d/e is a directory
  const mount = await mountHostDirectory(root, { fs });
  assert.equal(mount.skipped, []);
  const g = await guest(mount);
  assert.is(g.pathCall("path_remove_directory", PRE, "d/e"), E.SUCCESS);
  assert.is(g.symlink(".", PRE, "d/e"), E.SUCCESS); // then x -> d -> root -> outside
  const report = await mount.writeBack();
  assert.is(exists(join(root, "d", "e")), false); // the deletion went through, the link did not
  assert.equal(report.refused.map((r) => r.path), ["d/e"]);
  assert.match(report.refused[0].reason, /x would then lead outside/);
  assert.is(readlinkSync(join(root, "x")), "d/e/../..");
  assert.ok(readdirSync(base).includes("mount"));
});

test("a host link that leads out only through another link is left out at load", async () => {
  const { root } = await fixture();
  mkdirSync(join(root, "d"));
  symlinkSync("..", join(root, "d", "up"));
  symlinkSync("d/up/../secret.txt", join(root, "esc"));
  const mount = await mountHostDirectory(root, { fs });
  assert.equal(mount.skipped.map((s) => s.path), ["esc"]);
  assert.is(mount.dir.entries.has("esc"), false);
  const g = await guest(mount);
  assert.is(g.open(PRE, "esc").errno, E.NOENT);
  // The guest cannot replace what it never saw: a link of its own under that name is not written.
  assert.is(g.symlink("a.txt", PRE, "esc"), E.SUCCESS);
  const report = await mount.writeBack();
  assert.is(readlinkSync(join(root, "esc")), "d/up/../secret.txt");
  assert.equal(report.conflicts.map((c) => c.path), ["esc"]);
});

test("a guest link through an entry the host keeps (an outward link the mount skipped) is refused", async () => {
  const { root, secret } = await fixture();
  symlinkSync(secret, join(root, "out"));
  const mount = await mountHostDirectory(root, { fs });
  const g = await guest(mount);
  assert.is(g.symlink("out", PRE, "via"), E.SUCCESS); // dangling in the sandbox, but not on the host
  const report = await mount.writeBack();
  assert.is(exists(join(root, "via")), false);
  assert.match(report.refused[0].reason, /passes through out/);
});

test("absolute, empty and 4 KiB link targets are refused; the rest is written and reported", async () => {
  const { root } = await fixture();
  const mount = await mountHostDirectory(root, { fs });
  const g = await guest(mount);
  g.write(g.open(PRE, "a.txt", OFLAGS.TRUNC, RIGHTS_WRITE).fd, "ALPHA");
  // Legal in the virtual tree, not on Linux (PATH_MAX): set directly, as a guest could with path_symlink.
  mount.dir.entries.set("long", new VirtualSymlink("x/".repeat(2048)));
  mount.dir.entries.set("abs", new VirtualSymlink("/etc/passwd"));
  const report = await mount.writeBack();
  assert.equal(report.refused.map((r) => r.path).sort(), ["abs", "long"]);
  assert.match(report.refused.find((r) => r.path === "long")!.reason, /4096 bytes/);
  assert.equal(report.failed, []);
  assert.equal(report.applied, [{ path: "a.txt", action: "write" }]);
  assert.is(readFileSync(join(root, "a.txt"), "utf8"), "ALPHA");
});

test("overlapping mounts are refused when preopened together; one mount twice is fine", async () => {
  const { base, root } = await fixture();
  const outer = await mountHostDirectory(root, { fs });
  const inner = await mountHostDirectory(join(root, "sub"), { fs });
  const again = await mountHostDirectory(root, { fs });
  symlinkSync(root, join(base, "alias"));
  const viaLink = await mountHostDirectory(join(base, "alias"), { fs });
  for (const other of [inner, again, viaLink]) {
    const err = expectSandboxError(
      () => new WasiHost({ preopens: [{ guestPath: "/a", dir: outer.dir }, { guestPath: "/b", dir: other.dir }] }),
      "InvalidArgument",
    );
    assert.match(err.message, /overlap/);
  }
  new WasiHost({ preopens: [{ guestPath: "/a", dir: outer.dir }, { guestPath: "/b", dir: outer.dir }] });
});

test("entries the mount skipped survive the guest deleting their directory, which stays", async () => {
  const { root, secret } = await fixture();
  execFileSync("mkfifo", [join(root, "sub", "pipe")]);
  symlinkSync(secret, join(root, "sub", "out"));
  const mount = await mountHostDirectory(root, { fs });
  assert.equal(mount.skipped.map((s) => s.path), ["sub/out", "sub/pipe"]);
  const g = await guest(mount);
  assert.is(g.pathCall("path_unlink_file", PRE, "sub/b.txt"), E.SUCCESS);
  assert.is(g.pathCall("path_remove_directory", PRE, "sub"), E.SUCCESS); // empty, as far as the guest can see
  const report = await mount.writeBack();
  assert.ok(lstatSync(join(root, "sub", "pipe")).isFIFO());
  assert.is(readlinkSync(join(root, "sub", "out")), secret);
  assert.is(exists(join(root, "sub", "b.txt")), false);
  assert.equal(report.skipped.map((s) => s.path), ["sub/out", "sub/pipe", "sub"]);
  assert.equal(report.applied, [{ path: "sub/b.txt", action: "delete" }]);
});

test("a file another process created in the mount during the run is never deleted", async () => {
  const { root } = await fixture();
  const mount = await mountHostDirectory(root, { fs });
  writeFileSync(join(root, "sub", "made-by-command.txt"), "keep me"); // e.g. an allowed sandbox_exec command
  const g = await guest(mount);
  assert.is(g.pathCall("path_unlink_file", PRE, "sub/b.txt"), E.SUCCESS);
  assert.is(g.pathCall("path_remove_directory", PRE, "sub"), E.SUCCESS);
  const report = await mount.writeBack();
  assert.is(readFileSync(join(root, "sub", "made-by-command.txt"), "utf8"), "keep me");
  assert.equal(report.conflicts.map((c) => c.path), ["sub/made-by-command.txt"]);
  assert.equal(report.skipped.map((s) => s.path), ["sub"]);
});

test("files changed on the host during the run are neither overwritten nor deleted", async () => {
  const { root } = await fixture();
  writeFileSync(join(root, "c.txt"), "gamma");
  const mount = await mountHostDirectory(root, { fs });
  const g = await guest(mount);
  g.write(g.open(PRE, "a.txt", OFLAGS.TRUNC, RIGHTS_WRITE).fd, "guest");
  assert.is(g.pathCall("path_unlink_file", PRE, "sub/b.txt"), E.SUCCESS);
  g.write(g.open(PRE, "new.txt", OFLAGS.CREAT, RIGHTS_WRITE).fd, "guest");
  // Meanwhile on the host: a.txt rewritten, b.txt replaced (same size), new.txt created, c.txt changed.
  writeFileSync(join(root, "a.txt"), "host");
  writeFileSync(join(root, "sub", "b.txt.tmp"), "BETA");
  renameSync(join(root, "sub", "b.txt.tmp"), join(root, "sub", "b.txt"));
  writeFileSync(join(root, "new.txt"), "host");
  writeFileSync(join(root, "c.txt"), "host changed this");
  const report = await mount.writeBack();
  assert.is(readFileSync(join(root, "a.txt"), "utf8"), "host");
  assert.is(readFileSync(join(root, "sub", "b.txt"), "utf8"), "BETA");
  assert.is(readFileSync(join(root, "new.txt"), "utf8"), "host");
  assert.is(readFileSync(join(root, "c.txt"), "utf8"), "host changed this"); // the guest left it alone: no conflict
  assert.equal(report.conflicts.map((c) => c.path).sort(), ["a.txt", "new.txt", "sub/b.txt"]);
  assert.equal(report.applied, []);
});

/** The real platform, with `fail(op, path)` consulted before each write operation. */
async function faultyPlatform(fail: (op: string, path: string) => boolean): Promise<HostPlatform> {
  const real = await hostPlatform();
  const fs: HostFileSystem = { ...real.fs };
  for (const op of ["createFile", "rename", "mkdir", "remove", "removeEmptyDir", "symlink"] as const) {
    const original = real.fs[op] as (...args: never[]) => Promise<void>;
    (fs as unknown as Record<string, unknown>)[op] = (...args: never[]) => {
      const path = String(op === "rename" || op === "symlink" ? args[1] : args[0]);
      if (fail(op, path)) return Promise.reject(new Error(`${op} ${path}: simulated failure`));
      return original(...args);
    };
  }
  return { ...real, fs };
}

test("a host failure while staging changes nothing, and every change is reported not applied", async () => {
  const { root } = await fixture();
  let created = 0;
  const platform = await faultyPlatform((op) => op === "createFile" && ++created === 2); // e.g. the disk fills up
  const mount = await mountHostDirectory(root, { fs: platform.fs });
  const g = await guest(mount);
  g.write(g.open(PRE, "a.txt", OFLAGS.TRUNC, RIGHTS_WRITE).fd, "ALPHA");
  g.write(g.open(PRE, "sub/b.txt", OFLAGS.TRUNC, RIGHTS_WRITE).fd, "BETA");
  assert.is(g.pathCall("path_create_directory", PRE, "made"), E.SUCCESS);
  assert.is(g.pathCall("path_unlink_file", PRE, "sub/b.txt"), E.SUCCESS);
  g.write(g.open(PRE, "sub/c.txt", OFLAGS.CREAT, RIGHTS_WRITE).fd, "gamma");
  const report = await mount.writeBack();
  assert.equal(report.applied, []);
  assert.equal(report.failed.map((f) => f.path).sort(), ["a.txt", "made", "sub/b.txt", "sub/c.txt"]);
  assert.match(report.failed[0].reason, /nothing was written/);
  assert.is(readFileSync(join(root, "a.txt"), "utf8"), "alpha");
  assert.is(readFileSync(join(root, "sub", "b.txt"), "utf8"), "beta");
  assert.equal(readdirSync(root).sort(), ["a.txt", "sub"]); // no staging directory left behind
});

test("a change that fails while applying is reported exactly; the others are made", async () => {
  const { root } = await fixture();
  const platform = await faultyPlatform((op, path) => op === "rename" && path.endsWith("/sub/b.txt"));
  const mount = await mountHostDirectory(root, { fs: platform.fs });
  const g = await guest(mount);
  g.write(g.open(PRE, "a.txt", OFLAGS.TRUNC, RIGHTS_WRITE).fd, "ALPHA");
  g.write(g.open(PRE, "sub/b.txt", OFLAGS.TRUNC, RIGHTS_WRITE).fd, "BETA");
  const report = await mount.writeBack();
  assert.equal(report.applied, [{ path: "a.txt", action: "write" }]);
  assert.equal(report.failed.map((f) => f.path), ["sub/b.txt"]);
  assert.match(report.failed[0].reason, /simulated failure/);
  assert.is(readFileSync(join(root, "a.txt"), "utf8"), "ALPHA");
  assert.is(readFileSync(join(root, "sub", "b.txt"), "utf8"), "beta");
});

test("a mount root replaced by a symlink during the run is not written through", async () => {
  const { base, root, secret } = await fixture();
  const mount = await mountHostDirectory(root, { fs });
  const g = await guest(mount);
  g.write(g.open(PRE, "secret.txt", OFLAGS.CREAT | OFLAGS.TRUNC, RIGHTS_WRITE).fd, "owned");
  renameSync(root, join(base, "moved"));
  symlinkSync(base, root); // root now leads to the directory holding secret.txt
  const report = await mount.writeBack();
  assert.is(readFileSync(secret, "utf8"), "top secret");
  assert.equal(report.failed.map((f) => f.path), ["."]);
  assert.equal(report.applied, []);
});

test("the platform's output writes never follow a symlink as the last component", async () => {
  const { base, secret } = await fixture();
  const { fs } = await hostPlatform();
  const link = join(base, "planted");
  symlinkSync(secret, link);
  for (const attempt of [() => fs.writeFileNoFollow(link, new TextEncoder().encode("x")), () => fs.openAppend(link)]) {
    try {
      await attempt();
      assert.unreachable("followed a symlink");
    } catch (err) {
      assert.is((err as { code?: string }).code, "ELOOP");
    }
  }
  assert.is(readFileSync(secret, "utf8"), "top secret");
  assert.ok(existsSync(link));
});

test("a file the guest only read is never rewritten, even when its host copy changed type", async () => {
  const { root } = await fixture();
  const mount = await mountHostDirectory(root, { fs });
  const g = await guest(mount);
  assert.is(g.read(g.open(PRE, "a.txt").fd).text, "alpha");
  mkdirSync(join(root, "sub", "b.txt.d"));
  const report = await mount.writeBack();
  assert.equal(report, { applied: [], skipped: [], conflicts: [], refused: [], failed: [] });
  assert.ok(mount.dir.entries.get("a.txt") instanceof VirtualFile);
});

test.run();
