// Rewriter throughput and output size on a large real module: binaryen's own
// wasm build (~9.9 MB), which the binaryen npm package in node_modules embeds
// in its JS. Compares instrument() (fuel metering, the default) with the
// baseline of copying the bytes and with WebAssembly.validate on the same
// input, in one tinybench run; prints MB/s and the size ratio against the
// goals (≥ 100 MB/s, ≤ 1.3x).
// Run: node --import tsx bench/rewriter_throughput.ts   (or: deno run -A bench/rewriter_throughput.ts)
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { instrument } from "../lib/fuel/mod.ts";
import { compareCases, isQuick, recordValue, reportGoal } from "./_harness.ts";

/** Extracts the wasm binary binaryen's JS build embeds as a template literal. */
function binaryenWasm(): Uint8Array {
  const require = createRequire(import.meta.url);
  const source = readFileSync(require.resolve("binaryen"), "utf8");
  const start = source.indexOf("`\\0asm");
  if (start < 0) throw new Error("no embedded wasm found in the binaryen package");
  let end = start + 1;
  while (!(source[end] === "`" && source[end - 1] !== "\\")) end++;
  const text = (0, eval)(source.slice(start, end + 1)) as string;
  const bytes = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) bytes[i] = text.charCodeAt(i);
  return bytes;
}

const input = binaryenWasm();
const megabytes = input.length / 1e6;
const quick = isQuick();
const metered = instrument(input, { validate: false });
console.log(`module: binaryen.wasm, ${input.length} bytes; instrumented: ${metered.length} bytes`);
if (!WebAssembly.validate(metered as Uint8Array<ArrayBuffer>)) throw new Error("instrumented module does not validate");

const results = await compareCases("rewriter throughput (binaryen.wasm)", [
  { name: "instrument (fuel)", run: () => instrument(input, { validate: false }) },
  { name: "instrument (fuel + depth)", run: () => instrument(input, { validate: false, maxStackDepth: 10_000 }) },
  { name: "instrument + validate", run: () => instrument(input) },
  { name: "WebAssembly.validate", run: () => WebAssembly.validate(input as Uint8Array<ArrayBuffer>) },
  { name: "copy (slice)", run: () => input.slice() },
], { unit: "module", baseline: "WebAssembly.validate", timeMs: quick ? 1000 : 3000, warmupMs: 500, rounds: quick ? 1 : 3 });

const mbPerSecond = (name: string) => megabytes / (results.get(name)!.nsPerOp / 1e9);
console.log(`\n  instrument: ${mbPerSecond("instrument (fuel)").toFixed(0)} MB/s; with validation: ${mbPerSecond("instrument + validate").toFixed(0)} MB/s; WebAssembly.validate: ${mbPerSecond("WebAssembly.validate").toFixed(0)} MB/s`);
recordValue({ label: "instrument (fuel), binaryen.wasm", value: mbPerSecond("instrument (fuel)"), unit: "MB/s" });
recordValue({ label: "instrument + WebAssembly.validate (what the runtime does)", value: mbPerSecond("instrument + validate"), unit: "MB/s" });
recordValue({ label: "WebAssembly.validate alone", value: mbPerSecond("WebAssembly.validate"), unit: "MB/s" });
recordValue({ label: "instrumented size", value: metered.length, unit: "bytes" });
recordValue({ label: "original size", value: input.length, unit: "bytes" });
reportGoal("rewriter throughput / 100 MB/s", mbPerSecond("instrument (fuel)") / 100, { min: 1 });
reportGoal("instrumented size / original", metered.length / input.length, { max: 1.3 });
