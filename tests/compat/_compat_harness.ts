// Shared harness of the real-program compatibility tests: runs one WASI
// command under the sandbox and (on Node) under node:wasi with the same argv,
// environment, stdin and preopened files, and compares everything. Tests of a
// program that is not installed are registered as skipped, with the reason.
import { suite } from "uvu";
import type { Test } from "uvu";
import * as assert from "uvu/assert";
import { rmSync } from "node:fs";
import { grant, WasmSandboxRuntime } from "../../mod.ts";
import type { PluginOptions, RunResult } from "../../mod.ts";
import { memoryTree } from "../../lib/wasi/mod.ts";
import type { TreeSpec } from "../../lib/wasi/mod.ts";
import type { VirtualDirectory } from "../../lib/wasi/vfs.ts";
import { locateRealWasiProgram } from "../_helpers/real_wasi_programs.ts";
import type { LocatedProgram, RealWasiProgram } from "../_helpers/real_wasi_programs.ts";
import { tempDir } from "../_helpers/temp.ts";
import { hasNodeWasi, runWithNodeWasi } from "./_node_wasi_reference.ts";
import type { ReferenceResult } from "./_node_wasi_reference.ts";
import { snapshotHost, snapshotVirtual, writeTreeToHost } from "./_tree_snapshot.ts";
import type { TreeSnapshot } from "./_tree_snapshot.ts";

/** Every WASI capability: these tests compare behaviour, not policy. */
export const ALL_WASI_CAPABILITIES = ["wasi:args", "wasi:env", "wasi:stdio", "wasi:clock", "wasi:random", "wasi:fs", "wasi:proc"];

/** One run: argv after argv[0], environment, stdin and the initial read-write preopen. */
export interface Case {
  args: string[];
  env?: Record<string, string>;
  stdin?: string | Uint8Array;
  /** Initial contents of the preopen (default empty). */
  tree?: TreeSpec;
  /** Where the preopen appears in the guest (default "/"). */
  guestPath?: string;
  /** Where the guest runs (default: the runtime's choice). */
  isolation?: PluginOptions["isolation"];
}

/** What the pinned version is known to produce. */
export interface Expected {
  exitCode: number;
  stdout?: string;
  stderr?: string;
  /** The whole preopen afterwards, or a check of it. */
  files?: TreeSnapshot | ((files: TreeSnapshot) => void);
  /**
   * Why node:wasi's stderr may differ on some Node versions; then only its
   * exit code and files are compared (ours is still checked in full above).
   */
  nodeWasiStderrVaries?: string;
}

/** A run's result together with the preopen it left behind. */
export interface Outcome {
  result: RunResult | ReferenceResult;
  files: TreeSnapshot;
}

/** The harness of one program's suite. */
export interface CompatHarness {
  readonly test: Test;
  /** The program, when installed in the pinned version. */
  readonly found: LocatedProgram | undefined;
  /** Registers a case checked against `expected`, and against node:wasi on Node. */
  compatCase(name: string, c: Case, expected: Expected): void;
  /** Registers a test that needs the program (skipped without it). */
  programTest(name: string, body: (found: LocatedProgram) => Promise<void>): void;
  /** Runs `c` in the sandbox over `dir` (default: a fresh writable tree from `c.tree`). */
  runInSandbox(found: LocatedProgram, c: Case, dir?: VirtualDirectory): Promise<Outcome>;
  /** Runs `c` under node:wasi over a temporary host copy of `c.tree`. */
  runReference(found: LocatedProgram, c: Case): Promise<Outcome>;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();
const bytesOf = (input: string | Uint8Array | undefined) => typeof input === "string" ? encoder.encode(input) : input ?? new Uint8Array(0);

/** Decodes captured output for assertion messages. */
export const text = (bytes: Uint8Array): string => decoder.decode(bytes);

/** Creates the suite `title` for `program`; a missing program is announced once and its tests skipped. */
export function compatHarness(title: string, program: RealWasiProgram, options: { maxMemoryPages: number }): CompatHarness {
  const test = suite(title);
  const located = locateRealWasiProgram(program);
  const found = "found" in located ? located.found : undefined;
  if ("missing" in located) console.log(`  skipping "${title}": ${located.missing}`);
  const runtime = new WasmSandboxRuntime({ maxMemoryPages: options.maxMemoryPages });
  let compiled: Promise<WebAssembly.Module> | undefined;
  let runs = 0;
  const argv = (c: Case) => [program.name, ...c.args];

  async function runInSandbox(program: LocatedProgram, c: Case, dir = memoryTree(c.tree ?? {})): Promise<Outcome> {
    const id = `${program.program.name}-${runs++}`;
    const plugin = await runtime.loadPlugin(id, program.bytes, {
      capabilities: ALL_WASI_CAPABILITIES.map((name) => grant(name)),
      wasi: {
        args: argv(c),
        env: c.env ?? {},
        stdin: bytesOf(c.stdin),
        preopens: [{ guestPath: c.guestPath ?? "/", dir }],
      },
      isolation: c.isolation,
    });
    try {
      return { result: await plugin.run(), files: snapshotVirtual(dir) };
    } finally {
      runtime.unloadPlugin(id);
    }
  }

  async function runReference(program: LocatedProgram, c: Case): Promise<Outcome> {
    compiled ??= WebAssembly.compile(program.bytes as Uint8Array<ArrayBuffer>);
    const host = await tempDir("wasm-sandbox-compat-");
    try {
      writeTreeToHost(host, c.tree ?? {});
      const result = await runWithNodeWasi(await compiled, {
        args: argv(c),
        env: c.env ?? {},
        stdin: bytesOf(c.stdin),
        preopens: { [c.guestPath ?? "/"]: host },
      });
      return { result, files: snapshotHost(host) };
    } finally {
      rmSync(host, { recursive: true, force: true });
    }
  }

  function programTest(name: string, body: (found: LocatedProgram) => Promise<void>): void {
    if (found === undefined) test.skip(name);
    else test(name, () => body(found));
  }

  function compatCase(name: string, c: Case, expected: Expected): void {
    programTest(name, async (program) => {
      const ours = await runInSandbox(program, c);
      assertExpected(ours, expected);
      if (!hasNodeWasi) return;
      const reference = await runReference(program, c);
      if (expected.nodeWasiStderrVaries === undefined) return assertSameOutcome(ours, reference);
      assert.is(ours.result.exitCode, reference.result.exitCode, "exit code vs node:wasi");
      assert.equal(ours.files, reference.files, "files vs node:wasi");
    });
  }

  return { test, found, compatCase, programTest, runInSandbox, runReference };
}

/** Asserts a run produced what the pinned version is known to produce. */
export function assertExpected(outcome: Outcome, expected: Expected): void {
  const { result, files } = outcome;
  if (expected.stdout !== undefined) assert.fixture(text(result.stdout), expected.stdout, "stdout");
  if (expected.stderr !== undefined) assert.fixture(text(result.stderr), expected.stderr, "stderr");
  assert.is(result.exitCode, expected.exitCode, `exit code (stderr: ${text(result.stderr)})`);
  if (typeof expected.files === "function") expected.files(files);
  else if (expected.files !== undefined) assert.equal(files, expected.files, "files");
}

/** Asserts the sandbox matched node:wasi byte for byte. */
export function assertSameOutcome(ours: Outcome, reference: Outcome): void {
  assert.is(ours.result.exitCode, reference.result.exitCode, "exit code vs node:wasi");
  assert.equal(ours.result.stdout, reference.result.stdout, "stdout bytes vs node:wasi");
  assert.equal(ours.result.stderr, reference.result.stderr, "stderr bytes vs node:wasi");
  assert.equal(ours.files, reference.files, "preopen contents vs node:wasi");
}
