// Host memory behind a full virtual-filesystem quota: fills the quota through
// the guest ABI (path_open/path_create_directory/path_symlink) with one shape of
// tree and prints the host RSS and heap growth next to the quota.
//
//   node --expose-gc --import tsx bench/wasi_fs_rss.ts files|deep|wide|symlinks [quotaMiB]
//   deno run -A --v8-flags=--expose-gc bench/wasi_fs_rss.ts files|deep|wide|symlinks [quotaMiB]
//
// One shape per process, so the figures do not mix. Not run by the test suite.
import process from "node:process";
import { memoryTree } from "../lib/wasi/mod.ts";
import { E, OFLAGS, Probe, RIGHTS_WRITE } from "../tests/wasi/_probe.ts";

const shape = process.argv[2] ?? "files";
const quotaMiB = Number(process.argv[3] ?? 64);
const gc = (globalThis as { gc?: () => void }).gc;
if (gc === undefined) throw new Error("run with --expose-gc (node) or --v8-flags=--expose-gc (deno)");

function settle(): { rss: number; heap: number } {
  for (let i = 0; i < 3; i++) gc!();
  const usage = process.memoryUsage();
  return { rss: usage.rss, heap: usage.heapUsed };
}

const probe = await Probe.create({
  preopens: [{ guestPath: "/", dir: memoryTree({}) }],
  fsQuotaBytes: quotaMiB << 20,
});
const before = settle();
let nodes = 0;
let errno: number = E.SUCCESS;
if (shape === "files") {
  for (; errno === E.SUCCESS; nodes++) {
    const opened = probe.open(3, nodes.toString(36), OFLAGS.CREAT, RIGHTS_WRITE);
    errno = opened.errno;
    if (errno === E.SUCCESS) probe.fn.fd_close!(opened.fd);
  }
} else if (shape === "wide") {
  for (; errno === E.SUCCESS; nodes++) errno = probe.pathCall("path_create_directory", 3, nodes.toString(36));
} else if (shape === "symlinks") {
  for (; errno === E.SUCCESS; nodes++) errno = probe.symlink("t", 3, nodes.toString(36));
} else if (shape === "deep") {
  let dir = 3;
  for (; errno === E.SUCCESS; nodes++) {
    errno = probe.pathCall("path_create_directory", dir, "d");
    if (errno !== E.SUCCESS) break;
    const opened = probe.open(dir, "d", OFLAGS.DIRECTORY);
    if (opened.errno !== E.SUCCESS) throw new Error(`open failed: ${opened.errno}`);
    if (dir !== 3) probe.fn.fd_close!(dir);
    dir = opened.fd;
  }
} else {
  throw new Error(`unknown shape ${shape}`);
}
nodes--; // the last attempt failed
if (errno !== E.NOSPC) throw new Error(`stopped with errno ${errno}, expected NOSPC`);
const after = settle();
const mib = (n: number) => (n / 2 ** 20).toFixed(1);
const runtime = "Deno" in globalThis ? "deno" : "node";
console.log(
  `${runtime} ${shape}: ${nodes} nodes in a ${quotaMiB} MiB quota; rss +${mib(after.rss - before.rss)} MiB, ` +
    `heap +${mib(after.heap - before.heap)} MiB, ${Math.round((after.heap - before.heap) / nodes)} heap bytes/node, ` +
    `host/quota ${((after.rss - before.rss) / (quotaMiB << 20)).toFixed(2)}`,
);
