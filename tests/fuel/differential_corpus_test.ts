import { test } from "uvu";
import * as assert from "uvu/assert";
import { instrument, type InstrumentOptions } from "../../lib/fuel/instrument.ts";
import { fuelOfReturns, runExports } from "./_harness.ts";
import { compileKernel, KERNELS } from "./_kernels.ts";
import { wat } from "../_helpers/wat.ts";

const AMPLE = 1n << 50n;

/** Hand-written fixtures: every control construct and feature family the rewriter handles. */
const FIXTURES: Record<string, string> = {
  control: `(module
    (type $bin (func (param i32 i32) (result i32)))
    (table 4 funcref)
    (elem (i32.const 0) $add $sub)
    (func $add (type $bin) local.get 0 local.get 1 i32.add)
    (func $sub (type $bin) local.get 0 local.get 1 i32.sub)
    (func $classify (param i32) (result i32)
      (block $d (block $c (block $b (block $a
        local.get 0 br_table $a $b $c $d)
        i32.const 10 return)
        i32.const 20 return)
        i32.const 30 return)
      i32.const 40)
    (func (export "branches") (result i32) (local $i i32) (local $acc i32)
      (loop $l
        local.get $acc local.get $i call $classify i32.add local.set $acc
        local.get $i i32.const 1 i32.add local.tee $i
        i32.const 6 i32.lt_u br_if $l)
      local.get $acc)
    (func (export "indirect") (result i32)
      i32.const 7 i32.const 5 i32.const 0 call_indirect (type $bin)
      i32.const 2 i32.const 1 call_indirect (type $bin))
    (func (export "select") (result i32)
      i32.const 1 i32.const 2 i32.const 0 select
      i32.const 3 i32.const 4 i32.const 1 select (result i32) i32.add)
    (func $pair (param i32) (result i32 i32) local.get 0 local.get 0 i32.const 1 i32.add)
    (func (export "multi_value") (result i32)
      i32.const 5 call $pair
      (block (param i32 i32) (result i32) i32.mul)
      (if (param i32) (result i32) (i32.const 1) (then i32.const 1 i32.add) (else i32.const 2 i32.add)))
    (func $count (param i32 i32) (result i32)
      local.get 0 i32.eqz if (result i32) local.get 1
      else local.get 0 i32.const 1 i32.sub local.get 1 i32.const 3 i32.add return_call $count end)
    (func (export "tail") (result i32) i32.const 1000 i32.const 0 call $count)
    (func (export "tail_indirect") (result i32)
      i32.const 4 i32.const 9 i32.const 1 return_call_indirect (type $bin))
    (func (export "early_exit") (result i32)
      (block $out (result i32)
        (loop $l (result i32)
          i32.const 99 i32.const 1 br_if $out drop br $l)))
    (func (export "func_label") (result i32) i32.const 3 br 0)
    (func (export "nested_ifs") (result i32) (local $x i32)
      i32.const 3 local.set $x
      local.get $x i32.const 2 i32.gt_u
      if (result i32)
        local.get $x i32.const 3 i32.eq
        if (result i32) i32.const 100 else i32.const 200 end
      else i32.const 300 end)
    (func (export "trap") unreachable)
    (func (export "div_zero") (result i32) i32.const 1 i32.const 0 i32.div_s))`,

  exceptions: `(module
    (tag $e (param i32))
    (tag $f)
    (func $thrower (param i32) local.get 0 throw $e)
    (func $spin_then_throw (param $n i32)
      (loop $l local.get $n i32.const 1 i32.sub local.tee $n br_if $l)
      i32.const 42 throw $e)
    (func (export "catch_value") (result i32)
      try (result i32) i32.const 7 call $thrower i32.const 0 catch $e i32.const 100 i32.add end)
    (func (export "catch_all") (result i32)
      try (result i32) throw $f catch_all i32.const 5 end)
    (func (export "rethrow") (result i32)
      try (result i32)
        try i32.const 3 call $thrower catch $e drop rethrow 0 end i32.const 0
      catch $e
      end)
    (func (export "delegate") (result i32)
      try (result i32)
        try i32.const 9 call $thrower delegate 0 i32.const 0
      catch $e i32.const 1 i32.add
      end)
    (func (export "loop_catch") (result i32) (local $i i32) (local $acc i32)
      (loop $l
        try i32.const 50 call $spin_then_throw catch $e local.get $acc i32.add local.set $acc end
        local.get $i i32.const 1 i32.add local.tee $i i32.const 5 i32.lt_u br_if $l)
      local.get $acc)
    (func (export "uncaught") i32.const 1 call $thrower))`,

  try_table: `(module
    (tag $e (param i32))
    (func $thrower (param i32) local.get 0 throw $e)
    (func (export "caught") (result i32)
      (block $h (result i32)
        (try_table (catch $e $h) i32.const 11 call $thrower)
        i32.const 0))
    (func (export "caught_ref") (result i32) (local $i i32) (local $acc i32)
      (loop $l
        (block $h (result i32 exnref)
          (try_table (catch_ref $e $h) local.get $i call $thrower)
          unreachable)
        drop local.get $acc i32.add local.set $acc
        local.get $i i32.const 1 i32.add local.tee $i i32.const 4 i32.lt_u br_if $l)
      local.get $acc)
    (func (export "rethrown") (result i32)
      (block $outer (result i32)
        (try_table (catch $e $outer)
          (block $h (result exnref)
            (try_table (catch_all_ref $h) i32.const 5 call $thrower)
            unreachable)
          throw_ref)
        i32.const 0)))`,

  simd: `(module (memory 1)
    (func (export "lanes") (result i32)
      v128.const i32x4 1 2 3 4
      v128.const i32x4 10 20 30 40
      i32x4.add
      i32x4.extract_lane 3)
    (func (export "shuffle") (result i32)
      v128.const i8x16 0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15
      v128.const i8x16 16 17 18 19 20 21 22 23 24 25 26 27 28 29 30 31
      i8x16.shuffle 31 0 30 1 29 2 28 3 27 4 26 5 25 6 24 7
      i8x16.extract_lane_u 0)
    (func (export "memory") (result f64) (local $i i32)
      (loop $l
        local.get $i local.get $i f64.convert_i32_u f64x2.splat v128.store offset=16
        local.get $i i32.const 16 i32.add local.tee $i i32.const 256 i32.lt_u br_if $l)
      i32.const 64 v128.load offset=16
      i32.const 80 i32.const 32 v128.load offset=16 v128.load64_lane offset=16 1
      f64x2.add f64x2.extract_lane 1)
    (func (export "float") (result f32)
      f32.const 2.5 f32x4.splat f32.const 4 f32x4.splat f32x4.mul f32x4.sqrt f32x4.extract_lane 2))`,

  relaxed_simd: `(module
    (func (export "madd") (result f32)
      f32.const 2 f32x4.splat f32.const 3 f32x4.splat f32.const 1 f32x4.splat
      f32x4.relaxed_madd f32x4.extract_lane 0))`,

  bulk_and_refs: `(module
    (memory 1 4)
    (table $t 4 funcref)
    (table $u 2 externref)
    (data $d "hello, world")
    (elem $e func $one $two)
    (func $one (result i32) i32.const 1)
    (func $two (result i32) i32.const 2)
    (type $r (func (result i32)))
    (func (export "memory_ops") (result i32)
      i32.const 100 i32.const 0 i32.const 12 memory.init $d
      data.drop $d
      i32.const 200 i32.const 100 i32.const 12 memory.copy
      i32.const 300 i32.const 65 i32.const 8 memory.fill
      i32.const 204 i32.load8_u i32.const 303 i32.load8_u i32.add)
    (func (export "table_ops") (result i32)
      i32.const 0 i32.const 0 i32.const 2 table.init $t $e
      elem.drop $e
      i32.const 2 i32.const 0 i32.const 2 table.copy $t $t
      ref.null func i32.const 3 table.grow $t drop
      i32.const 5 ref.func $one i32.const 2 table.fill $t
      table.size $t
      i32.const 3 call_indirect $t (type $r) i32.add
      i32.const 6 table.get $t ref.is_null i32.add)
    (func (export "externref") (result i32)
      i32.const 0 ref.null extern table.set $u
      i32.const 0 table.get $u ref.is_null)
    (func (export "grow") (result i32)
      i32.const 2 memory.grow i32.const 10 memory.grow i32.add memory.size i32.add))`,

  numeric: `(module
    (func (export "sign_ext") (result i64) i64.const 0xff i64.extend8_s i32.const 0x8000 i32.extend16_s i64.extend_i32_s i64.add)
    (func (export "sat") (result i32) f64.const 1e20 i32.trunc_sat_f64_s f32.const -5 i32.trunc_sat_f32_u i32.add)
    (func (export "trunc_trap") (result i32) f64.const 1e20 i32.trunc_f64_s)
    (func (export "i64") (result i64) i64.const -7 i64.const 3 i64.rem_s i64.const 40 i64.rotl))`,
};

function sameBehaviour(name: string, original: Uint8Array, options: InstrumentOptions) {
  return async () => {
    const expected = await runExports(original);
    const actual = await runExports(instrument(original, { initialFuel: AMPLE, ...options }), { fuel: AMPLE });
    assert.equal(actual.transcript, expected.transcript, name);
    const plain = await runExports(instrument(original, { initialFuel: AMPLE, ...options, mergeSegments: false }), { fuel: AMPLE });
    assert.is(fuelOfReturns(actual), fuelOfReturns(plain), "merging charges changed a total");
    assert.ok(expected.transcript.length > 0);
  };
}

const VARIANTS: Record<string, InstrumentOptions> = {
  "fuel": {},
  "fuel + depth": { maxStackDepth: 10_000 },
  "depth only": { fuel: false, maxStackDepth: 10_000 },
  "limits only": { fuel: false, maxMemoryPages: 64, maxTableElements: 64 },
};

for (const [name, source] of Object.entries(FIXTURES)) {
  const bytes = await wat(source);
  // A fixture using a proposal this engine lacks (exnref or relaxed SIMD on Node 20) is skipped here.
  if (!WebAssembly.validate(bytes as Uint8Array<ArrayBuffer>)) continue;
  for (const [variant, options] of Object.entries(VARIANTS)) {
    test(`${name} (${variant}): same results, traps and exceptions as the original`, sameBehaviour(name, bytes, options));
  }
}

for (const [name, source] of Object.entries(KERNELS)) {
  test(`AssemblyScript ${name}: same results instrumented`, async () => {
    const bytes = await compileKernel(source);
    await sameBehaviour(name, bytes, { maxStackDepth: 10_000 })();
  });
}

test("kernel checksums are what the algorithms compute", async () => {
  const bytes = await compileKernel(KERNELS.sieve!);
  const { instance } = await WebAssembly.instantiate(instrument(bytes, { initialFuel: AMPLE }) as Uint8Array<ArrayBuffer>);
  const fuel = instance.exports.__wasm_sandbox_fuel as WebAssembly.Global;
  fuel.value = AMPLE;
  assert.is((instance.exports.check as () => number)(), 669); // primes below 5000
});

test.run();
