// An invalid module that names the indices the rewriter gives its own
// globals and locals (the first ones past the module's) would turn valid once
// rewritten and control its own fuel, depth and trap reason. Every such
// module must be refused as InvalidModule before it is rewritten.
import { suite } from "uvu";
import * as assert from "uvu/assert";
import wabtInit from "wabt";
import { isSandboxError } from "../../lib/errors.ts";
import { instrument } from "../../lib/fuel/instrument.ts";
import { WasmSandboxRuntime } from "../../mod.ts";
import { sandboxError } from "../_helpers/errors.ts";
import { ALL_FEATURES, wat } from "../_helpers/wat.ts";

const test = suite("fuel forgery: injected indices");

/** Assembles WAT without validating it: the fixtures here are invalid on purpose. */
async function unchecked(source: string): Promise<Uint8Array> {
  const api = await wabtInit();
  const module = api.parseWat("forged.wat", source, ALL_FEATURES);
  try {
    return new Uint8Array(module.toBinary({}).buffer);
  } finally {
    module.destroy();
  }
}

const OPTIONS = { maxStackDepth: 1000, maxMemoryPages: 16, maxTableElements: 100 };

// The module defines no globals, so the injected ones are 0 (fuel, i64),
// 1 (trap reason, i32) and 2 (depth, i32).
const GLOBALS: Array<[string, string]> = [
  ["the fuel global", `(global.set 0 (i64.const 1000000000000))`],
  ["the trap-reason global", `(global.set 1 (i32.const 1))`],
  ["the depth global", `(global.set 2 (i32.const 0))`],
];

// One parameter and one declared local, so the injected locals start at 2.
// A function with a loop and no calls caches fuel in a local: 2 is the
// cached fuel (i64), 3 the bulk scratch (i32), 4 the frame's depth (i32).
// A function without loops keeps fuel in the global: 2 is the scratch (i32),
// 3 the depth (i32), 4 the check temporary (i64).
const LOCALS: Array<[string, string, boolean]> = [
  ["the cached-fuel local", `(local.set 2 (i64.const 1000000000000))`, true],
  ["the scratch local (cached mode)", `(local.set 3 (i32.const 7))`, true],
  ["the depth local (cached mode)", `(local.set 4 (i32.const 0))`, true],
  ["the scratch local (global mode)", `(local.set 2 (i32.const 7))`, false],
  ["the depth local (global mode)", `(local.set 3 (i32.const 0))`, false],
  ["the check temporary (global mode)", `(local.set 4 (i64.const 1000000000000))`, false],
];

function globalWriter(write: string): string {
  return `(module (func (export "run") (loop $l ${write} (br $l))))`;
}

function localWriter(write: string, loop: boolean): string {
  const body = loop ? `(loop $l ${write} (br_if $l (local.get 0)))` : write;
  return `(module (func (export "run") (param i32) (local i32) ${body}))`;
}

const CASES: Array<[string, string]> = [
  ...GLOBALS.map(([what, write]): [string, string] => [what, globalWriter(write)]),
  ...LOCALS.map(([what, write, loop]): [string, string] => [what, localWriter(write, loop)]),
];

for (const [what, source] of CASES) {
  test(`instrument() refuses an invalid module that writes ${what}`, async () => {
    const bytes = await unchecked(source);
    assert.not.ok(WebAssembly.validate(bytes as Uint8Array<ArrayBuffer>), "the fixture must be invalid as it stands");
    try {
      instrument(bytes, OPTIONS);
      assert.unreachable("the forged module was rewritten");
    } catch (err) {
      assert.ok(isSandboxError(err, "InvalidModule"), String(err));
      assert.match((err as Error).message, /not a valid WebAssembly module: .+/);
    }
  });
}

test("loadPlugin refuses every forged module with InvalidModule, and keeps serving", async () => {
  const runtime = new WasmSandboxRuntime({ fuel: 1_000_000n, maxStackDepth: 1000 });
  for (const [what, source] of CASES) {
    const err = await sandboxError(runtime.loadPlugin("forged", await unchecked(source)));
    assert.is(err.code, "InvalidModule", what);
  }
  const good = await runtime.loadPlugin("good", await wat(`(module (func (export "spin") (loop $l (br $l))))`));
  assert.is((await sandboxError(good.call("spin"))).code, "OutOfFuel");
});

test("the same writes in a valid module (own globals and locals) are untouched", async () => {
  const source = `(module
    (global $g (mut i64) (i64.const 0))
    (func (export "run") (param i32) (result i64) (local i64)
      (local.set 1 (i64.const 5))
      (global.set $g (local.get 1))
      (global.get $g)))`;
  const plugin = await new WasmSandboxRuntime({ fuel: 1_000n, maxStackDepth: 10 }).loadPlugin("ok", await wat(source));
  assert.is(plugin.callSync("run", 0), 5n);
});

test.run();
