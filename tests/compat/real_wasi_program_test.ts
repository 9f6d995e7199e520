// A real-world WASI preview1 command, compiled by its own authors, must behave
// under the sandbox exactly as under a plain WASI runtime. The program is
// esbuild's official wasip1 build (a Go program) from its npm package. Every
// case checks outputs known for the pinned version on both runtimes; on Node
// the same inputs also run under node:wasi and everything must match byte for
// byte: exit code, stdout, stderr and the files left in the preopen.
import * as assert from "uvu/assert";
import { rmSync } from "node:fs";
import { hostPlatform } from "../../lib/platform/host_platform.ts";
import { memoryTree, mountHostDirectory } from "../../lib/wasi/mod.ts";
import type { TreeSpec } from "../../lib/wasi/mod.ts";
import { ESBUILD_WASI } from "../_helpers/real_wasi_programs.ts";
import { tempDir } from "../_helpers/temp.ts";
import { compatHarness, text } from "./_compat_harness.ts";
import { hasNodeWasi } from "./_node_wasi_reference.ts";
import { snapshotHost, snapshotVirtual, writeTreeToHost } from "./_tree_snapshot.ts";

// Go's heap grows well past the 16 MiB default while bundling.
const { test, compatCase, programTest, runInSandbox, runReference } = compatHarness(
  "real WASI program (esbuild, Go)",
  ESBUILD_WASI,
  { maxMemoryPages: 4096 },
);
const encoder = new TextEncoder();

// --- argv -----------------------------------------------------------------

compatCase("argv: --version prints the pinned version", { args: ["--version"] }, {
  exitCode: 0,
  stdout: `${ESBUILD_WASI.version}\n`,
  stderr: "",
});

compatCase("argv: UTF-8 arguments (accents, symbols, emoji) arrive intact", {
  args: ["--loader=js", "--banner=/* h\u00e9llo \u2713 \u{1F600} */"],
  stdin: "x",
}, {
  exitCode: 0,
  stdout: "/* h\u00e9llo \u2713 \u{1F600} */\nx;\n",
  stderr: "",
});

// --- stdin -> stdout --------------------------------------------------------

compatCase("stdin to stdout: TypeScript is stripped and minified", {
  args: ["--loader=ts", "--minify"],
  stdin: "let a: number = 1+2; console.log(a)",
}, {
  exitCode: 0,
  stdout: "let a=3;console.log(a);\n",
  stderr: "",
});

const LINES = 2000;
const manyLines = (escaped: boolean) =>
  Array.from({ length: LINES }, (_, i) =>
    `console.log("${i}", "line ${i} ${escaped ? "\\xE9\\u2713" : "\u00e9\u2713"}");\n`
  ).join("");

compatCase("stdin to stdout: 75 KB of input come out whole and in order", {
  args: ["--loader=js"],
  stdin: manyLines(false),
}, {
  exitCode: 0,
  // esbuild writes ASCII-only output by default, escaping the rest.
  stdout: manyLines(true),
  stderr: "",
});

// --- env ------------------------------------------------------------------

const TWO_MODULES: TreeSpec = {
  src: {
    "in.ts": 'import {y} from "./util"; export const x: number = y + 2;',
    "util.ts": "export const y = 40;",
  },
};

compatCase("env: PWD is the working directory that relative paths resolve against", {
  args: ["in.ts", "--bundle"],
  env: { PWD: "/src", UNUSED: "ignored" },
  tree: TWO_MODULES,
}, {
  exitCode: 0,
  stdout: "(() => {\n  // util.ts\n  var y = 40;\n\n  // in.ts\n  var x = y + 2;\n})();\n",
  stderr: "",
});

compatCase("env: with PWD=/ the same files are named from the root", {
  args: ["src/in.ts", "--bundle"],
  env: { PWD: "/" },
  tree: TWO_MODULES,
}, {
  exitCode: 0,
  stdout: "(() => {\n  // src/util.ts\n  var y = 40;\n\n  // src/in.ts\n  var x = y + 2;\n})();\n",
  stderr: "",
});

// --- files in a read-write preopen ----------------------------------------------

const GREETER: TreeSpec = {
  src: {
    "main.ts": 'import { greet } from "./greet";\nconsole.log(greet("wasi"));\n',
    "greet.ts": "export function greet(name: string): string {\n  return `hello, ${name}`;\n}\n",
  },
};

const GREETER_BUNDLE = '// src/greet.ts\nfunction greet(name) {\n  return `hello, ${name}`;\n}\n\n' +
  '// src/main.ts\nconsole.log(greet("wasi"));\n//# sourceMappingURL=bundle.js.map\n';

compatCase("files: a bundle, its source map and its metafile are written to the preopen", {
  args: [
    "src/main.ts",
    "--bundle",
    "--format=esm",
    "--outfile=out/bundle.js",
    "--sourcemap",
    "--metafile=out/meta.json",
    "--log-level=warning",
  ],
  env: { PWD: "/" },
  tree: GREETER,
}, {
  exitCode: 0,
  stdout: "",
  stderr: "",
  files: (files) => {
    assert.equal(Object.keys(files), [
      "out/",
      "out/bundle.js",
      "out/bundle.js.map",
      "out/meta.json",
      "src/",
      "src/greet.ts",
      "src/main.ts",
    ]);
    assert.fixture(files["out/bundle.js"] as string, GREETER_BUNDLE);
    const map = JSON.parse(files["out/bundle.js.map"] as string);
    assert.equal(map.sources, ["../src/greet.ts", "../src/main.ts"]);
    assert.equal(map.sourcesContent, [(GREETER.src as TreeSpec)["greet.ts"], (GREETER.src as TreeSpec)["main.ts"]]);
    const meta = JSON.parse(files["out/meta.json"] as string);
    assert.equal(Object.keys(meta.inputs), ["src/greet.ts", "src/main.ts"]);
    assert.is(meta.inputs["src/greet.ts"].bytes, encoder.encode((GREETER.src as TreeSpec)["greet.ts"] as string).byteLength);
    assert.is(meta.outputs["out/bundle.js"].bytes, encoder.encode(GREETER_BUNDLE).byteLength);
  },
});

const SPLIT: TreeSpec = {
  src: {
    "a.ts": 'import {s} from "./shared"; console.log(s, "a");',
    "b.ts": 'import {s} from "./shared"; console.log(s, "b");',
    "shared.ts": 'export const s = "shared";',
  },
};
const CHUNK = "chunk-ORWUIGIX.js"; // named by a hash of its contents
const importChunk = `import {\n  s\n} from "./${CHUNK}";\n\n`;

compatCase("files: code splitting creates nested directories and content-hashed chunks", {
  args: ["src/a.ts", "src/b.ts", "--bundle", "--splitting", "--format=esm", "--outdir=dist/nested", "--log-level=warning"],
  env: { PWD: "/" },
  tree: SPLIT,
}, {
  exitCode: 0,
  stdout: "",
  stderr: "",
  files: {
    "dist/": "",
    "dist/nested/": "",
    "dist/nested/a.js": `${importChunk}// src/a.ts\nconsole.log(s, "a");\n`,
    "dist/nested/b.js": `${importChunk}// src/b.ts\nconsole.log(s, "b");\n`,
    [`dist/nested/${CHUNK}`]: '// src/shared.ts\nvar s = "shared";\n\nexport {\n  s\n};\n',
    "src/": "",
    "src/a.ts": (SPLIT.src as TreeSpec)["a.ts"] as string,
    "src/b.ts": (SPLIT.src as TreeSpec)["b.ts"] as string,
    "src/shared.ts": (SPLIT.src as TreeSpec)["shared.ts"] as string,
  },
});

compatCase("files: a longer existing output file is truncated, not patched in place", {
  args: ["src/main.ts", "--outfile=out/bundle.js", "--log-level=warning"],
  env: { PWD: "/" },
  tree: { src: { "main.ts": "export const v = 1;" }, out: { "bundle.js": "stale ".repeat(1000) } },
}, {
  exitCode: 0,
  stdout: "",
  stderr: "",
  files: { "out/": "", "out/bundle.js": "export const v = 1;\n", "src/": "", "src/main.ts": "export const v = 1;" },
});

// --- exit codes and errors ----------------------------------------------------------

compatCase("exit code: a syntax error on stdin exits 1 with a located diagnostic", {
  args: ["--loader=ts"],
  stdin: "let = ;",
}, {
  exitCode: 1,
  stdout: "",
  stderr: '\u2718 [ERROR] Unexpected ";"\n\n    <stdin>:1:6:\n      1 \u2502 let = ;\n        \u2575       ^\n\n1 error\n',
});

compatCase("exit code: an unknown flag exits 1", { args: ["--bogus-flag"] }, {
  exitCode: 1,
  stdout: "",
  stderr: '\u2718 [ERROR] Invalid transform flag: "--bogus-flag"\n\n1 error\n',
});

compatCase("exit code: a missing entry point exits 1", { args: ["missing.ts", "--bundle"], env: { PWD: "/" } }, {
  exitCode: 1,
  stdout: "",
  stderr: '\u2718 [ERROR] Could not resolve "missing.ts"\n\n1 error\n',
  files: {},
});

compatCase("errno: above a preopen that is not / nothing is open, and the guest sees EBADF", {
  args: ["in.ts", "--bundle"],
  env: { PWD: "/work" },
  tree: { "in.ts": "export const x = 1;" },
  guestPath: "/work",
}, {
  exitCode: 1,
  stdout: "",
  stderr: '\u2718 [ERROR] Cannot read directory "..": Bad file number\n\n' +
    '\u2718 [ERROR] Could not resolve "./in.ts"\n\n' +
    '  Use the relative path "././in.ts" to reference the file "in.ts". Without the leading "./", the path "./in.ts" ' +
    "is being interpreted as a package path instead.\n\n2 errors\n",
  files: { "in.ts": "export const x = 1;" },
  // Node 20's uvwasi answers EBADF as we do; Node 24's answers EINVAL for "..".
  nodeWasiStderrVaries: "node:wasi's errno for '..' above a preopen depends on its uvwasi version",
});

// --- host directories and read-only trees -----------------------------------------

const GREETER_ARGS = ["src/main.ts", "--bundle", "--format=esm", "--outfile=out/bundle.js", "--sourcemap", "--log-level=warning"];

for (const isolation of [undefined, { mode: "worker" as const }]) {
  const where = isolation === undefined ? "" : " (worker: host functions on the host thread, over its shared memory)";
  programTest(`a mounted host directory ends up with the same files node:wasi writes${where}`, async (found) => {
    const host = await tempDir("wasm-sandbox-compat-mount-");
    try {
      writeTreeToHost(host, GREETER);
      const mount = await mountHostDirectory(host, { fs: (await hostPlatform()).fs, readOnly: false });
      const c = { args: GREETER_ARGS, env: { PWD: "/" }, isolation };
      const ours = await runInSandbox(found, c, mount.dir);
      assert.is(ours.result.exitCode, 0, text(ours.result.stderr));
      await mount.writeBack();
      const written = snapshotHost(host);
      assert.equal(written, ours.files);
      assert.fixture(written["out/bundle.js"] as string, GREETER_BUNDLE);
      if (hasNodeWasi) {
        const reference = await runReference(found, { ...c, tree: GREETER });
        assert.is(reference.result.exitCode, 0);
        assert.equal(written, reference.files);
      }
    } finally {
      rmSync(host, { recursive: true, force: true });
    }
  });
}

programTest("a read-only preopen: sources are read, the output is refused, nothing changes", async (found) => {
  const dir = memoryTree(GREETER, { readOnly: true });
  const before = snapshotVirtual(dir);
  const { result, files } = await runInSandbox(found, { args: GREETER_ARGS, env: { PWD: "/" } }, dir);
  assert.is(result.exitCode, 1, text(result.stderr));
  // Reading worked (else the error would be about src/main.ts); creating out/
  // is refused once for the bundle and once for its map.
  const refused = "\u2718 [ERROR] Failed to create output directory: mkdir /out: Read-only file system\n\n";
  assert.fixture(text(result.stderr), refused + refused);
  assert.equal(files, before);
});

test.run();
