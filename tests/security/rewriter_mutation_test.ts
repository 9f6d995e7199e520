import { test } from "uvu";
import * as assert from "uvu/assert";
import { isSandboxError } from "../../lib/errors.ts";
import { instrument } from "../../lib/fuel/instrument.ts";
import { randomModule } from "../fuel/_ttf.ts";
import { wat } from "../_helpers/wat.ts";

function lcg(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1103515245) + 12345) >>> 0;
    return state / 2 ** 32;
  };
}

const BASE = `(module
  (import "env" "log" (func $log (param i32)))
  (memory 1 4)
  (table 2 funcref)
  (global $g (mut i32) (i32.const 0))
  (tag $e (param i32))
  (func $f (export "f") (param i32) (result i32) (local i64)
    (block $out
      (loop $l
        local.get 0 i32.eqz br_if $out
        local.get 0 i32.const 1 i32.sub local.set 0
        i32.const 0 i32.const 1 i32.const 4 memory.fill
        local.get 0 call $log
        br $l))
    try (result i32)
      i32.const 7 throw $e
    catch $e
    end
    local.get 0 i32.const 3 br_table 0 0 0
    i32.add)
  (func (export "g") (result f64 v128)
    f64.const 1.5 v128.const i32x4 1 2 3 4 v128.const i32x4 5 6 7 8 i8x16.shuffle 0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15
    v128.const i64x2 0 0 i32x4.add)
  (elem (i32.const 0) $f))`;

test("mutated modules give InvalidModule or a module that validates, never anything else", async () => {
  const bases = [await wat(BASE), await randomModule(7), await randomModule(11)];
  const random = lcg(20240611);
  let rejected = 0;
  let accepted = 0;
  for (let round = 0; round < 1500; round++) {
    const base = bases[round % bases.length]!;
    const bytes = base.slice();
    const mutations = 1 + Math.floor(random() * 3);
    for (let i = 0; i < mutations; i++) {
      const at = 8 + Math.floor(random() * (bytes.length - 8));
      bytes[at] = random() < 0.5 ? Math.floor(random() * 256) : bytes[at]! ^ (1 << Math.floor(random() * 8));
    }
    const cut = random() < 0.1 ? 8 + Math.floor(random() * (bytes.length - 8)) : bytes.length;
    try {
      const out = instrument(bytes.subarray(0, cut), { maxStackDepth: 1000, maxMemoryPages: 64, maxTableElements: 64 });
      assert.ok(WebAssembly.validate(out as Uint8Array<ArrayBuffer>), `round ${round}: output does not validate`);
      accepted++;
    } catch (err) {
      if (!isSandboxError(err)) throw new Error(`round ${round}: ${String(err)}`);
      assert.ok(["InvalidModule", "MemoryLimit"].includes(err.code), `round ${round}: ${err.code} ${err.message}`);
      rejected++;
    }
  }
  // Both outcomes occur, so the test exercises both paths.
  assert.ok(accepted > 0 && rejected > 0, `accepted ${accepted}, rejected ${rejected}`);
});

test("truncating a module anywhere gives InvalidModule", async () => {
  const bytes = await wat(BASE);
  for (let cut = 0; cut < bytes.length; cut++) {
    try {
      instrument(bytes.subarray(0, cut));
      // Cutting at a section boundary leaves a valid (smaller) module.
    } catch (err) {
      assert.ok(isSandboxError(err, "InvalidModule"), `cut ${cut}: ${String(err)}`);
    }
  }
});

test("a body that claims more locals than it holds, or absurd counts, is refused", () => {
  // One function: type () -> (), body declares 0xffffffff locals of i32.
  const bytes = new Uint8Array([
    0, 0x61, 0x73, 0x6d, 1, 0, 0, 0,
    1, 4, 1, 0x60, 0, 0,
    3, 2, 1, 0,
    10, 10, 1, 8, 1, 0xff, 0xff, 0xff, 0xff, 0x0f, 0x7f, 0x0b,
  ]);
  try {
    instrument(bytes);
    assert.unreachable();
  } catch (err) {
    assert.ok(isSandboxError(err, "InvalidModule"), String(err));
  }
});

test.run();
