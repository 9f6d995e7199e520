import { test } from "uvu";
import * as assert from "uvu/assert";
import { WasiErrno } from "../../lib/wasi/_errno.ts";
import { lookup, MAX_SYMLINK_HOPS, walk } from "../../lib/wasi/path_walk.ts";
import { memoryTree, VirtualSymlink } from "../../lib/wasi/mod.ts";
import { E } from "./_probe.ts";

function errnoOf(fn: () => unknown): number {
  try {
    fn();
    return E.SUCCESS;
  } catch (err) {
    if (err instanceof WasiErrno) return err.errno;
    throw err;
  }
}

test("walk() returns the parent and final name, with trailing-slash state", () => {
  const root = memoryTree({ d: { f: "x" } });
  const found = walk(root, "d//f", false);
  assert.is(found.name, "f");
  assert.is(found.parent, root.entries.get("d"));
  assert.is(walk(root, "d/", false).trailingSlash, true);
  assert.is(walk(root, ".", false).name, null);
  assert.is(walk(root, "d/missing", false).node, undefined);
});

test("lookup() refuses escapes, absolute paths and file-as-directory", () => {
  const root = memoryTree({ d: { f: "x" } });
  assert.is(errnoOf(() => lookup(root, "..", true)), E.NOTCAPABLE);
  assert.is(errnoOf(() => lookup(root, "d/../..", true)), E.NOTCAPABLE);
  assert.is(errnoOf(() => lookup(root, "/d", true)), E.NOTCAPABLE);
  assert.is(errnoOf(() => lookup(root, "d/f/g", true)), E.NOTDIR);
  assert.is(errnoOf(() => lookup(root, "d/f/", true)), E.NOTDIR);
  assert.is(errnoOf(() => lookup(root, "", true)), E.NOENT);
});

test(`lookup() gives up after ${MAX_SYMLINK_HOPS} symlinks`, () => {
  const root = memoryTree({ end: "x" });
  root.entries.set("l0", new VirtualSymlink("end"));
  for (let i = 1; i <= MAX_SYMLINK_HOPS; i++) root.entries.set(`l${i}`, new VirtualSymlink(`l${i - 1}`));
  assert.ok(lookup(root, `l${MAX_SYMLINK_HOPS - 1}`, true));
  assert.is(errnoOf(() => lookup(root, `l${MAX_SYMLINK_HOPS}`, true)), E.LOOP);
  assert.ok(lookup(root, `l${MAX_SYMLINK_HOPS}`, false) instanceof VirtualSymlink);
});

test.run();
