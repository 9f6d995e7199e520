// Fuel is exact and deterministic: esbuild's Go build, in deterministic mode,
// consumes the same fuel run after run and on Node and Deno alike (the
// expected count below is the same constant on both runtimes).
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { grant, WasmSandboxRuntime } from "../../mod.ts";
import { ESBUILD_WASI, locateRealWasiProgram } from "../_helpers/real_wasi_programs.ts";

const test = suite("deterministic fuel on a real program (esbuild)");
const located = locateRealWasiProgram(ESBUILD_WASI);

/**
 * Fuel for one deterministic run of esbuild 0.27.2 on the input below, with the default cost model:
 * the guest's own 51,873,982 plus 446 for the bytes its WASI calls read from and wrote to guest memory
 * (data, iovecs, paths and out-parameters alike; docs/FUEL.md, "Host work").
 */
const EXPECTED_FUEL_PER_RUN = 51_874_428n;

if ("missing" in located) {
  console.log(`skipping deterministic fuel test: ${located.missing}`);
} else {
  test("two runs on one runtime, and each runtime, consume exactly the same fuel", async () => {
    const capabilities = ["wasi:args", "wasi:env", "wasi:stdio", "wasi:clock", "wasi:random", "wasi:proc", "wasi:fs"]
      .map((c) => grant(c));
    const runtime = new WasmSandboxRuntime({ fuel: 1n << 60n, maxMemoryPages: 4096, deterministic: true, audit: false });
    const plugin = await runtime.loadPlugin("esbuild", located.found.bytes, {
      capabilities,
      wasi: {
        args: ["esbuild", "--loader=ts", "--minify"],
        stdin: new TextEncoder().encode("export const x: number = 1 + 2;"),
      },
    });
    const first = await plugin.run();
    assert.is(new TextDecoder().decode(first.stdout), "export const x=3;\n");
    const afterFirst = plugin.fuelConsumed;
    await plugin.reset();
    await plugin.run();
    assert.is(plugin.fuelConsumed - afterFirst, afterFirst, "the second run costs what the first did");
    assert.is(afterFirst, EXPECTED_FUEL_PER_RUN);
  });
}

test.run();
