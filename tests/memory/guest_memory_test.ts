import { test } from "uvu";
import * as assert from "uvu/assert";
import { GuestMemory } from "../../lib/memory/guest_memory.ts";
import { SandboxError } from "../../lib/errors.ts";

function throwsCode(fn: () => unknown, code: string) {
  try {
    fn();
  } catch (e) {
    assert.instance(e, SandboxError);
    assert.is((e as SandboxError).code, code);
    return;
  }
  assert.unreachable(`expected ${code}`);
}

test("check() takes pointers unsigned and refuses ptr + len past the end", () => {
  const memory = new WebAssembly.Memory({ initial: 1 });
  const guest = new GuestMemory(() => memory);
  assert.is(guest.check(65535, 1), 65535);
  throwsCode(() => guest.check(65535, 2), "InvalidArgument");
  throwsCode(() => guest.check(-1, 1), "InvalidArgument"); // 0xffffffff
  throwsCode(() => guest.check(1, -1), "InvalidArgument"); // len 0xffffffff: no wrap-around
  throwsCode(() => guest.check(0x80000000, 0x80000000), "InvalidArgument");
});

test("write() is all-or-nothing", () => {
  const memory = new WebAssembly.Memory({ initial: 1 });
  const guest = new GuestMemory(() => memory);
  throwsCode(() => guest.write(65534, new Uint8Array([1, 2, 3])), "InvalidArgument");
  assert.equal(guest.read(65534, 2), new Uint8Array([0, 0]));
});

test("the view is re-derived after memory.grow", () => {
  const memory = new WebAssembly.Memory({ initial: 1, maximum: 2 });
  const guest = new GuestMemory(() => memory);
  guest.write(0, new Uint8Array([7]));
  memory.grow(1);
  guest.write(70000, new Uint8Array([9]));
  assert.is(guest.byteLength, 131072);
  assert.equal(guest.read(70000, 1), new Uint8Array([9]));
  assert.is(guest.readU32(0), 7);
});

test("readUtf8() refuses invalid UTF-8", () => {
  const memory = new WebAssembly.Memory({ initial: 1 });
  const guest = new GuestMemory(() => memory);
  guest.write(0, new Uint8Array([0xc3, 0x28]));
  throwsCode(() => guest.readUtf8(0, 2), "InvalidArgument");
  assert.is(guest.writeUtf8(10, "héllo"), 6);
  assert.is(guest.readUtf8(10, 6), "héllo");
});

test("a guest without memory has zero bytes and every access fails cleanly", () => {
  const guest = new GuestMemory(() => undefined);
  assert.is(guest.byteLength, 0);
  assert.is(guest.check(0, 0), 0);
  throwsCode(() => guest.read(0, 1), "InvalidArgument");
});

test.run();
