// Fuel overhead on a real-world WASI program not written here: esbuild's
// official wasip1 build (Go, ~20 MB) minifying a TypeScript file from stdin,
// run through the sandbox with and without fuel metering, side by side.
// Run: node --import tsx bench/fuel_wasi_program.ts   (or: deno run -A bench/fuel_wasi_program.ts)
import { grant, WasmSandboxRuntime } from "../mod.ts";
import type { PluginSandbox } from "../mod.ts";
import { ESBUILD_WASI, locateRealWasiProgram } from "../tests/_helpers/real_wasi_programs.ts";
import { compareCases, isQuick, recordSkip, recordValue, reportGoal } from "./_harness.ts";

const located = locateRealWasiProgram(ESBUILD_WASI);
if ("missing" in located) {
  recordSkip({ what: "esbuild", reason: located.missing });
} else {
  const source = new TextEncoder().encode(
    Array.from({ length: isQuick() ? 50 : 200 }, (_, i) => `export function f${i}(x: number): number { return x * ${i} + ${i % 7}; }`).join("\n"),
  );
  const capabilities = () => ["wasi:args", "wasi:env", "wasi:stdio", "wasi:clock", "wasi:random", "wasi:proc", "wasi:fs"].map((c) => grant(c));
  const options = { wasi: { args: ["esbuild", "--loader=ts", "--minify"], stdin: source }, maxMemoryPages: 4096 };
  const load = (id: string, fuel: bigint | undefined) =>
    new WasmSandboxRuntime({ fuel, maxMemoryPages: 4096, audit: false }).loadPlugin(id, located.found.bytes, {
      ...options,
      capabilities: capabilities(),
    });
  const plain = await load("plain", undefined);
  const metered = await load("metered", 1n << 60n);
  // run() ends a command; reset() gives a fresh instance from the cached module.
  const runOnce = async (plugin: PluginSandbox) => {
    plugin.reset();
    const result = await plugin.run();
    if (result.exitCode !== 0) throw new Error(`esbuild exited ${result.exitCode}`);
  };
  await runOnce(metered);
  console.log(`fuel per esbuild run: ${metered.fuelConsumed}`);
  recordValue({ label: "fuel per esbuild run", value: Number(metered.fuelConsumed), unit: "fuel" });
  const results = await compareCases(`fuel overhead: esbuild (Go, wasip1) minifying ${isQuick() ? 50 : 200} functions`, [
    { name: "unmetered", run: () => runOnce(plain) },
    { name: "metered", run: () => runOnce(metered) },
  ], { baseline: "unmetered", timeMs: 4000, unit: "run" });
  reportGoal("metered / unmetered", results.get("metered")!.nsPerOp / results.get("unmetered")!.nsPerOp, { max: 1.3 });
}
