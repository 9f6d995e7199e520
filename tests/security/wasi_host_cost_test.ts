// Host cost of hostile WASI calls: what a guest asks for must never turn into
// host memory beyond what is kept (the output cap, the filesystem quota) or
// host work beyond a small constant per byte of input. No timings and no RSS:
// sizes are checked through what the host keeps, quota counts and the path
// walk's own step count.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { E, OFLAGS, Probe, RIGHTS_READ, RIGHTS_WRITE } from "../wasi/_probe.ts";
import { memoryTree, VirtualSymlink } from "../../lib/wasi/mod.ts";
import { MAX_SYMLINK_HOPS, walk } from "../../lib/wasi/path_walk.ts";
import {
  DIRECTORY_OVERHEAD_BYTES,
  ENTRY_OVERHEAD_BYTES,
  NODE_OVERHEAD_BYTES,
} from "../../lib/wasi/vfs.ts";

const PRE = 3;
const PAGE = 65536;
const IOVS = 1024;
/** Where the iovec table goes: above the probe's scratch area. */
const TABLE_AT = 32768;

/**
 * Grows the probe's memory to `pages` and points IOVS iovecs at one shared
 * buffer of `len` bytes (filled with `fill`): the guest asks for IOVS × len
 * bytes with only `len` of memory.
 */
function overlappingIovecs(probe: Probe, pages: number, len: number, fill: number): void {
  probe.memory.grow(pages - probe.memory.buffer.byteLength / PAGE);
  probe.bytes.fill(fill, PAGE, PAGE + len);
  for (let i = 0; i < IOVS; i++) {
    probe.view.setUint32(TABLE_AT + i * 8, PAGE, true);
    probe.view.setUint32(TABLE_AT + i * 8 + 4, len, true);
  }
}

// 1024 iovecs of 4.5 MiB over one buffer: 4.5 GiB asked for, past any typed array Node allows.
const BIG_LEN = 4.5 * 2 ** 20;
const BIG_PAGES = 1 + Math.ceil(BIG_LEN / PAGE);
const NWRITTEN_AT = 256;

test("fd_write of 4.5 GiB of overlapping iovecs to stdout copies only the output cap", async () => {
  const chunks: Uint8Array[] = [];
  const cap = 4096;
  const probe = await Probe.create({ stdout: { maxBytes: cap, onData: (chunk) => chunks.push(chunk) } });
  overlappingIovecs(probe, BIG_PAGES, BIG_LEN, 0x41);
  assert.is(probe.fn.fd_write!(1, TABLE_AT, IOVS, NWRITTEN_AT), E.SUCCESS);
  // A short write at Linux's MAX_RW_COUNT: the u32 count cannot wrap.
  assert.is(probe.view.getUint32(NWRITTEN_AT, true), 0x7fff_f000);
  assert.is(chunks.length, 1);
  assert.is(chunks[0]!.buffer.byteLength, cap, "the host allocated only what it keeps");
  assert.equal(probe.wasi.stdoutBytes(), new Uint8Array(cap).fill(0x41));
  assert.ok(probe.wasi.outputTruncated);
  // The host keeps serving: once full, writes are still answered in full and dropped.
  assert.equal(probe.write(1, "more"), { errno: E.SUCCESS, n: 4 });
  assert.is(probe.wasi.stdoutBytes().byteLength, cap);
});

test("a gathered write to stdout keeps iovec order up to the cap", async () => {
  const probe = await Probe.create({ stdout: { maxBytes: 5 } });
  probe.bytes.set(new TextEncoder().encode("abcdefgh"), 8192);
  for (const [i, [at, len]] of [[8192, 3], [8195, 0], [8195, 3], [8198, 2]].entries()) {
    probe.view.setUint32(TABLE_AT + i * 8, at!, true);
    probe.view.setUint32(TABLE_AT + i * 8 + 4, len!, true);
  }
  assert.is(probe.fn.fd_write!(1, TABLE_AT, 4, NWRITTEN_AT), E.SUCCESS);
  assert.is(probe.view.getUint32(NWRITTEN_AT, true), 8);
  assert.is(new TextDecoder().decode(probe.wasi.stdoutBytes()), "abcde");
});

test("fd_write and fd_pwrite of 4.5 GiB to a file fail with NOSPC before copying anything", async () => {
  const probe = await Probe.create({ preopens: [{ guestPath: "/d", dir: memoryTree({ "f.txt": "keep" }) }] });
  const { fd } = probe.open(PRE, "f.txt", 0, RIGHTS_READ | RIGHTS_WRITE);
  overlappingIovecs(probe, BIG_PAGES, BIG_LEN, 0x42);
  assert.is(probe.fn.fd_write!(fd, TABLE_AT, IOVS, NWRITTEN_AT), E.NOSPC);
  assert.is(probe.fn.fd_pwrite!(fd, TABLE_AT, IOVS, 0n, NWRITTEN_AT), E.NOSPC);
  assert.equal(probe.read(fd), { errno: E.SUCCESS, text: "keep" });
  // Within the quota the same gathered path writes every iovec, in order.
  for (let i = 0; i < 3; i++) {
    probe.view.setUint32(TABLE_AT + i * 8, PAGE + i, true);
    probe.view.setUint32(TABLE_AT + i * 8 + 4, 2, true);
  }
  probe.bytes.set([0x61, 0x62, 0x63, 0x64], PAGE);
  assert.is(probe.fn.fd_pwrite!(fd, TABLE_AT, 3, 1n, NWRITTEN_AT), E.SUCCESS);
  assert.is(probe.view.getUint32(NWRITTEN_AT, true), 6);
  assert.is(probe.fn.fd_seek!(fd, 0n, 0, NWRITTEN_AT), E.SUCCESS);
  assert.equal(probe.read(fd), { errno: E.SUCCESS, text: "kabbccd" });
});

const QUOTA = 1 << 20;

/** Calls `make(i)` until it stops succeeding; returns how many succeeded and the final errno. */
function fill(make: (i: number) => number): { count: number; errno: number } {
  let count = 0;
  for (;;) {
    const errno = make(count);
    if (errno !== E.SUCCESS) return { count, errno };
    count++;
  }
}

test("a quota of empty files, symlinks or hard links is bounded by per-node and per-entry charges", async () => {
  const name = (i: number) => i.toString(36);
  const files = await Probe.create({ preopens: [{ guestPath: "/d", dir: memoryTree({}) }], fsQuotaBytes: QUOTA });
  const madeFiles = fill((i) => {
    const opened = files.open(PRE, name(i), OFLAGS.CREAT, RIGHTS_WRITE);
    if (opened.errno === E.SUCCESS) files.fn.fd_close!(opened.fd);
    return opened.errno;
  });
  assert.is(madeFiles.errno, E.NOSPC);
  // Each costs a node and an entry: 64 bytes per node (the old charge) would allow 15,000.
  assert.ok(madeFiles.count <= QUOTA / (NODE_OVERHEAD_BYTES + ENTRY_OVERHEAD_BYTES), `${madeFiles.count} files`);
  assert.ok(madeFiles.count >= QUOTA / 1024, `${madeFiles.count} files: the quota must stay usable`);

  const links = await Probe.create({ preopens: [{ guestPath: "/d", dir: memoryTree({ f: "x" }) }], fsQuotaBytes: QUOTA });
  const madeLinks = fill((i) => {
    const [a, b] = [new TextEncoder().encode("f"), new TextEncoder().encode(`l${name(i)}`)];
    links.bytes.set(a, 1024);
    links.bytes.set(b, 3072);
    return links.fn.path_link!(PRE, 0, 1024, 1, PRE, 3072, b.byteLength);
  });
  assert.is(madeLinks.errno, E.NOSPC);
  // A link costs its entry: names alone (1–4 bytes) once let a quota hold 300,000 of them.
  assert.ok(madeLinks.count <= QUOTA / ENTRY_OVERHEAD_BYTES, `${madeLinks.count} links`);

  const symlinks = await Probe.create({ preopens: [{ guestPath: "/d", dir: memoryTree({}) }], fsQuotaBytes: QUOTA });
  const madeSymlinks = fill((i) => symlinks.symlink("t", PRE, name(i)));
  assert.is(madeSymlinks.errno, E.NOSPC);
  assert.ok(madeSymlinks.count <= QUOTA / (NODE_OVERHEAD_BYTES + ENTRY_OVERHEAD_BYTES), `${madeSymlinks.count} symlinks`);
});

test("a quota of deep directories is bounded, and the host keeps serving at the bottom", async () => {
  const probe = await Probe.create({ preopens: [{ guestPath: "/d", dir: memoryTree({}) }], fsQuotaBytes: QUOTA });
  let dir = PRE;
  const made = fill(() => {
    const errno = probe.pathCall("path_create_directory", dir, "d");
    if (errno !== E.SUCCESS) return errno;
    const opened = probe.open(dir, "d", OFLAGS.DIRECTORY);
    if (dir !== PRE) probe.fn.fd_close!(dir);
    dir = opened.fd;
    return opened.errno;
  });
  assert.is(made.errno, E.NOSPC);
  const perDirectory = NODE_OVERHEAD_BYTES + DIRECTORY_OVERHEAD_BYTES + ENTRY_OVERHEAD_BYTES;
  assert.ok(made.count <= QUOTA / perDirectory, `${made.count} directories`);
  // Removing the deepest one gives its quota back: another can be made.
  assert.is(probe.fn.fd_close!(dir), E.SUCCESS);
  assert.is(probe.pathCall("path_remove_directory", PRE, "d/".repeat(made.count).slice(0, -1)), E.SUCCESS);
  assert.is(probe.pathCall("path_create_directory", PRE, "d/".repeat(made.count - 1) + "e"), E.SUCCESS);
});

test("a file unlinked while open stays charged until its last descriptor closes", async () => {
  const probe = await Probe.create({ preopens: [{ guestPath: "/d", dir: memoryTree({}) }], fsQuotaBytes: QUOTA });
  const payload = new Uint8Array(40_000);
  const first = probe.open(PRE, "a", OFLAGS.CREAT, RIGHTS_WRITE).fd;
  for (let i = 0; i < 15; i++) assert.is(probe.write(first, payload).errno, E.SUCCESS); // 600 KB
  assert.is(probe.pathCall("path_unlink_file", PRE, "a"), E.SUCCESS);
  // Its 600 KB are still alive behind the descriptor (and still writable): a second 600 KB must not fit.
  assert.is(probe.write(first, payload).errno, E.SUCCESS);
  const second = probe.open(PRE, "b", OFLAGS.CREAT, RIGHTS_WRITE).fd;
  let errno: number = E.SUCCESS;
  for (let i = 0; i < 15 && errno === E.SUCCESS; i++) errno = probe.write(second, payload).errno;
  assert.is(errno, E.NOSPC);
  // Renumbering keeps the orphan open; closing its last descriptor returns its quota.
  const spare = probe.open(PRE, "c", OFLAGS.CREAT, RIGHTS_WRITE).fd;
  assert.is(probe.fn.fd_renumber!(first, spare), E.SUCCESS);
  assert.is(probe.fn.fd_filestat_set_size!(second, 600_000n), E.NOSPC);
  assert.is(probe.fn.fd_close!(spare), E.SUCCESS);
  assert.is(probe.fn.fd_filestat_set_size!(second, 600_000n), E.SUCCESS);
});

/** Builds l0 → ... → l{n-1} → end, each target padded with `pad` slashes. */
function paddedChain(n: number, pad: number) {
  const root = memoryTree({ end: "x" });
  let components = 0;
  for (let i = 0; i < n; i++) {
    // Padding between "." and the name: empty components the walk must skip.
    const padded = `.${"/".repeat(pad)}${i === 0 ? "end" : `l${i - 1}`}`;
    components += padded.split("/").length;
    root.entries.set(`l${i}`, new VirtualSymlink(padded));
  }
  return { root, components };
}

test("a path through 40 slash-padded symlinks resolves in steps linear in its length", () => {
  const { root, components } = paddedChain(MAX_SYMLINK_HOPS, 4000);
  const path = `.${"/".repeat(4000)}l${MAX_SYMLINK_HOPS - 1}`;
  const found = walk(root, path, true);
  assert.is(found.node, root.entries.get("end"));
  const total = components + path.split("/").length;
  // Every component is pushed once and taken once.
  assert.ok(found.steps <= 2 * total, `${found.steps} steps for ${total} components`);
  // One more hop is LOOP, and the walk still answers.
  const longer = paddedChain(MAX_SYMLINK_HOPS + 1, 4000);
  assert.throws(() => walk(longer.root, `l${MAX_SYMLINK_HOPS}`, true), (err: { errno?: number }) => err.errno === E.LOOP);
});

test("path_open through slash-padded symlinks answers from the guest ABI", async () => {
  const probe = await Probe.create({ preopens: [{ guestPath: "/d", dir: memoryTree({ end: "x" }) }] });
  const pad = "/".repeat(2000);
  assert.is(probe.symlink(`.${pad}end`, PRE, "l0"), E.SUCCESS);
  for (let i = 1; i < MAX_SYMLINK_HOPS; i++) assert.is(probe.symlink(`.${pad}l${i - 1}`, PRE, `l${i}`), E.SUCCESS);
  const opened = probe.open(PRE, `.${pad}l${MAX_SYMLINK_HOPS - 1}`);
  assert.is(opened.errno, E.SUCCESS);
  assert.equal(probe.read(opened.fd), { errno: E.SUCCESS, text: "x" });
  assert.is(probe.symlink(`l${MAX_SYMLINK_HOPS - 1}`, PRE, "over"), E.SUCCESS);
  assert.is(probe.open(PRE, "over").errno, E.LOOP);
});

test("fd_readdir with a cookie at or past the end reads nothing, whatever its sign", async () => {
  const probe = await Probe.create({ preopens: [{ guestPath: "/d", dir: memoryTree({ a: "1", b: "2" }) }] });
  const used = 256;
  // ".", "..", "a", "b": cookie 4 is the end.
  for (const cookie of [4n, 5n, -1n, -(2n ** 63n), 2n ** 62n]) {
    probe.view.setUint32(used, 0xdead, true);
    assert.is(probe.fn.fd_readdir!(PRE, 8192, 4096, cookie, used), E.SUCCESS, `cookie ${cookie}`);
    assert.is(probe.view.getUint32(used, true), 0, `cookie ${cookie}`);
  }
  assert.is(probe.fn.fd_readdir!(PRE, 8192, 4096, 3n, used), E.SUCCESS);
  assert.is(probe.view.getUint32(used, true), 25); // just "b"
});

test.run();
