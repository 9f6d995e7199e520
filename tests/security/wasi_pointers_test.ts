// Hostile pointers and lengths from the guest: every bad range is errno FAULT
// (or INVAL for impossible counts), never a JS exception out of the import.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { E, Probe } from "../wasi/_probe.ts";
import { memoryTree } from "../../lib/wasi/mod.ts";

const PAGE = 65536;
const PRE = 3;

async function sandbox(): Promise<Probe> {
  return await Probe.create({
    args: ["prog", "arg"],
    env: { K: "V" },
    stdin: new TextEncoder().encode("input"),
    preopens: [{ guestPath: "/d", dir: memoryTree({ "f.txt": "data" }) }],
  });
}

test("out-of-bounds result pointers are FAULT and write nothing", async () => {
  const probe = await sandbox();
  assert.is(probe.fn.args_sizes_get!(PAGE - 2, 0), E.FAULT);
  assert.is(probe.fn.args_sizes_get!(0, PAGE), E.FAULT);
  assert.is(probe.fn.args_get!(PAGE - 4, 0), E.FAULT);
  assert.is(probe.fn.args_get!(0, PAGE - 3), E.FAULT);
  assert.is(probe.fn.environ_get!(0xffff_fffc, 0), E.FAULT);
  assert.is(probe.fn.clock_time_get!(0, 0n, PAGE - 7), E.FAULT);
  assert.is(probe.fn.fd_fdstat_get!(1, PAGE - 1), E.FAULT);
  assert.is(probe.fn.fd_filestat_get!(PRE, -8), E.FAULT);
  assert.is(probe.fn.fd_prestat_dir_name!(PRE, PAGE - 1, 2), E.FAULT);
});

test("iovecs pointing outside memory are FAULT", async () => {
  const probe = await sandbox();
  const view = probe.view;
  view.setUint32(0, PAGE - 2, true);
  view.setUint32(4, 10, true); // buffer crosses the end of memory
  assert.is(probe.fn.fd_write!(1, 0, 1, 100), E.FAULT);
  assert.is(probe.fn.fd_read!(0, 0, 1, 100), E.FAULT);
  view.setUint32(0, 0, true);
  view.setUint32(4, 0xffff_ffff, true); // 4 GiB length
  assert.is(probe.fn.fd_write!(1, 0, 1, 100), E.FAULT);
  assert.is(probe.fn.fd_write!(1, PAGE - 4, 1, 100), E.FAULT); // the iovec table itself is cut off
  assert.is(probe.fn.fd_write!(1, 0, 0x2000_0000, 100), E.INVAL); // absurd iovec count
  assert.is(probe.wasi.stdoutBytes().byteLength, 0);
  // stdin was not consumed by the failed read
  assert.equal(probe.read(0), { errno: E.SUCCESS, text: "input" });
});

test("path pointers outside memory are FAULT, huge lengths NAMETOOLONG", async () => {
  const probe = await sandbox();
  assert.is(probe.fn.path_open!(PRE, 0, PAGE - 1, 4, 0, 2n, 0n, 0, 0), E.FAULT);
  assert.is(probe.fn.path_open!(PRE, 0, 0, 0xffff_ffff, 0, 2n, 0n, 0, 0), E.NAMETOOLONG);
  assert.is(probe.fn.path_create_directory!(PRE, 0xffff_fff0, 16), E.FAULT);
  probe.putPath("f.txt");
  assert.is(probe.fn.path_rename!(PRE, 1024, 5, PRE, PAGE, 1), E.FAULT);
  // the opened-fd result pointer is checked before the file is opened
  assert.is(probe.fn.path_open!(PRE, 0, 1024, 5, 0, 2n, 0n, 0, PAGE - 2), E.FAULT);
});

test("random_get with a range outside memory is FAULT; a huge in-range request works in chunks", async () => {
  const probe = await sandbox();
  assert.is(probe.fn.random_get!(PAGE - 10, 11), E.FAULT);
  assert.is(probe.fn.random_get!(0, 0xffff_ffff), E.FAULT);
  assert.is(probe.fn.random_get!(0, PAGE), E.SUCCESS);
});

test("fd_readdir and poll_oneoff with bad buffers are FAULT or INVAL", async () => {
  const probe = await sandbox();
  assert.is(probe.fn.fd_readdir!(PRE, PAGE - 8, 64, 0n, 0), E.FAULT);
  assert.is(probe.fn.fd_readdir!(PRE, 0, 64, 0n, PAGE), E.FAULT);
  assert.is(probe.fn.fd_readdir!(PRE, 0, 64, 0xffff_ffff_ffffn, 100), E.SUCCESS); // cookie past the end: empty
  assert.is(probe.view.getUint32(100, true), 0);
  assert.is(probe.fn.poll_oneoff!(PAGE - 10, 0, 1, 100), E.FAULT);
  assert.is(probe.fn.poll_oneoff!(0, PAGE - 10, 1, 100), E.FAULT);
  assert.is(probe.fn.poll_oneoff!(0, 0, 0xffff_ffff, 100), E.INVAL);
});

test("fd numbers and offsets from the guest are range-checked", async () => {
  const probe = await sandbox();
  assert.is(probe.fn.fd_close!(0xffff_ffff), E.BADF);
  assert.is(probe.fn.fd_close!(-1), E.BADF);
  assert.is(probe.fn.fd_renumber!(1, 4000), E.BADF);
  const { fd } = probe.open(PRE, "f.txt", 0, 64n);
  assert.is(probe.fn.fd_seek!(fd, -1n, 0, 100), E.INVAL);
  assert.is(probe.fn.fd_seek!(fd, 0n, 7, 100), E.INVAL);
  assert.is(probe.fn.fd_seek!(fd, 0x7fff_ffff_ffff_ffffn, 0, 100), E.FBIG);
  assert.is(probe.fn.fd_pwrite!(fd, 0, 0, -1n, 100), E.FBIG);
  assert.is(probe.fn.fd_seek!(1, 0n, 0, 100), E.SPIPE);
});

test("the guest's memory may grow between calls; views are re-derived", async () => {
  const probe = await sandbox();
  probe.memory.grow(1);
  assert.is(probe.fn.args_sizes_get!(PAGE + 8, PAGE + 12), E.SUCCESS);
  assert.is(probe.view.getUint32(PAGE + 8, true), 2);
});

test.run();
