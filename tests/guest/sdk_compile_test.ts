// Compiles every example plugin under guest/examples/ with asc and checks
// that it imports exactly the ABI functions it should, with the ABI's
// signatures (docs/ABI.md). Compiles every SDK file on its own too: asc only
// compiles (and so type-checks) what is reachable, and a file's exports are
// reachable when it is the entry, so no SDK function goes unchecked.
import { test } from "uvu";
import * as assert from "uvu/assert";
import asc from "assemblyscript/asc";
import { cpSync, mkdirSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { summarizeModule } from "../../lib/wasm/module_summary.ts";
import { compileGuestFile } from "../_helpers/assemblyscript.ts";
import { tempDir } from "../_helpers/temp.ts";

/** Every function of the guest ABI, as "params->results". */
const ABI_SIGNATURES: Record<string, string> = {
  "soch.soch_read": "i32,i32,i32,i32->i64",
  "soch.soch_write": "i32,i32,i32,i32->i64",
  "soch.vector_search": "i32,i32,i32,i32,i32->i64",
  "soch.vector_put": "i32,i32,i32,i32->i64",
  "sandbox.take_response": "i32,i32->i64",
  "platform_sandbox.sandbox_exec": "i32,i32,i32,i32->i64",
  "platform_sandbox.get_timestamp": "->i64",
  "platform_sandbox.log_message": "i32,i32,i32->",
  // AssemblyScript's own abort, which the host's env namespace provides.
  "env.abort": "i32,i32,i32,i32->",
  "wasi_snapshot_preview1.fd_write": "i32,i32,i32,i32->i32",
  "wasi_snapshot_preview1.proc_exit": "i32->",
};

const HELLO_FLAGS = ["--exportStart", "_start", "--use", "abort=guest/examples/hello_wasi/abortToExit"];

/** What each example must import and export. */
const EXAMPLES: Record<string, { imports: string[]; exports: string[]; flags?: string[] }> = {
  kv_counter: {
    imports: ["env.abort", "platform_sandbox.log_message", "sandbox.take_response", "soch.soch_read", "soch.soch_write"],
    exports: ["increment", "memory"],
  },
  vector_demo: {
    imports: ["env.abort", "platform_sandbox.log_message", "sandbox.take_response", "soch.soch_write", "soch.vector_search"],
    exports: ["memory", "search"],
  },
  exec_demo: {
    imports: [
      "env.abort", "platform_sandbox.get_timestamp", "platform_sandbox.log_message", "platform_sandbox.sandbox_exec",
      "sandbox.take_response", "soch.soch_write",
    ],
    exports: ["memory", "run"],
  },
  hello_wasi: {
    imports: ["wasi_snapshot_preview1.fd_write", "wasi_snapshot_preview1.proc_exit"],
    exports: ["_start", "memory"],
    flags: HELLO_FLAGS,
  },
  doc_index: {
    imports: ["env.abort", "sandbox.take_response", "soch.soch_read", "soch.soch_write", "soch.vector_put", "soch.vector_search"],
    exports: ["__collect", "__new", "__pin", "__rtti_base", "__unpin", "index", "lastErrorCode", "memory", "search"],
    flags: ["--exportRuntime"],
  },
};

const examplesDir = fileURLToPath(new URL("../../guest/examples/", import.meta.url));

test("every file in guest/examples/ has an expectation here", () => {
  const files = readdirSync(examplesDir).filter((f) => f.endsWith(".ts")).map((f) => f.slice(0, -3)).sort();
  assert.equal(files, Object.keys(EXAMPLES).sort());
});

for (const [name, expected] of Object.entries(EXAMPLES)) {
  test(`${name}.ts compiles and imports exactly its ABI functions with the ABI signatures`, async () => {
    const wasm = await compileGuestFile(`guest/examples/${name}.ts`, expected.flags);
    const module = new WebAssembly.Module(wasm as Uint8Array<ArrayBuffer>);
    const imports = WebAssembly.Module.imports(module);
    assert.ok(imports.every((i) => i.kind === "function"), "only function imports");
    assert.equal(imports.map((i) => `${i.module}.${i.name}`).sort(), expected.imports);
    assert.equal(WebAssembly.Module.exports(module).map((e) => e.name).sort(), expected.exports);
    for (const imp of summarizeModule(wasm).imports) {
      const signature = `${imp.funcType!.params.join(",")}->${imp.funcType!.results.join(",")}`;
      assert.is(signature, ABI_SIGNATURES[`${imp.module}.${imp.name}`], `${imp.module}.${imp.name}`);
    }
  });
}

const sdkDir = fileURLToPath(new URL("../../guest/sdk/", import.meta.url));

/** What each SDK file must export as the entry (functions and globals), so a new file or export is noticed. */
const SDK_FILES: Record<string, string[]> = {
  "abi.ts": [
    "INVALID_ARGUMENT", "LIMIT_EXCEEDED", "NOT_FOUND", "NO_RESPONSE", "OK", "PERMISSION_DENIED", "TIMEOUT", "UNAVAILABLE",
    "errorName",
  ],
  "index.ts": [
    "DEBUG", "ERROR", "INFO", "INVALID_ARGUMENT", "LIMIT_EXCEEDED", "NOT_FOUND", "NO_RESPONSE", "OK", "PERMISSION_DENIED",
    "SCRATCH_CAP", "TIMEOUT", "TRACE", "UNAVAILABLE", "WARN", "errorName", "exec", "jsonString", "lastError", "log",
    "parseSearchHits", "sochRead", "sochReadString", "sochWrite", "sochWriteString", "takeResponse", "timestamp",
    "vectorPut", "vectorSearch", "vectorSearchHits",
  ],
  "platform.ts": ["DEBUG", "ERROR", "INFO", "TRACE", "WARN", "exec", "jsonString", "log", "timestamp"],
  "sandbox.ts": ["SCRATCH_CAP", "collectOutput", "lastError", "scratch", "setLastError", "takeResponse"],
  // Classes are not wasm exports; SearchHit is checked through parseSearchHits, which builds them.
  "search_hits.ts": ["parseSearchHits"],
  "soch.ts": ["sochRead", "sochReadString", "sochWrite", "sochWriteString", "vectorPut", "vectorSearch", "vectorSearchHits"],
};

test("every file in guest/sdk/ has an expectation here", () => {
  assert.equal(readdirSync(sdkDir).filter((f) => f.endsWith(".ts")).sort(), Object.keys(SDK_FILES).sort());
});

for (const [file, exports] of Object.entries(SDK_FILES)) {
  test(`guest/sdk/${file} compiles as its own entry, every export type-checked`, async () => {
    const wasm = await compileGuestFile(`guest/sdk/${file}`, ["--exportRuntime"]);
    const names = WebAssembly.Module.exports(new WebAssembly.Module(wasm as Uint8Array<ArrayBuffer>)).map((e) => e.name);
    const own = names.filter((n) => !n.startsWith("__") && n !== "memory").sort();
    assert.equal(own, [...exports].sort());
  });
}

test("a plugin project imports the SDK as wasm-sandbox/guest/sdk/index, as docs/ABI.md says", async () => {
  // The package as installed: its package.json and guest/ under node_modules (package.json `files` ships guest/).
  const project = await tempDir("wasm-sandbox-sdk-");
  const installed = join(project, "node_modules/wasm-sandbox");
  mkdirSync(installed, { recursive: true });
  cpSync(fileURLToPath(new URL("../../package.json", import.meta.url)), join(installed, "package.json"));
  cpSync(fileURLToPath(new URL("../../guest", import.meta.url)), join(installed, "guest"), { recursive: true });
  writeFileSync(join(project, "plugin.ts"), `
import { vectorPut, vectorSearchHits } from "wasm-sandbox/guest/sdk/index";
export function run(): i32 {
  const v = new Float32Array(2);
  v[0] = 1;
  if (vectorPut("k", v) != 0) return -1;
  const hits = vectorSearchHits(v, 1);
  return hits === null ? -1 : hits.length;
}
`);
  let wasm: Uint8Array | undefined;
  let diagnostics = "";
  const stream = { write: (text: string) => void (diagnostics += text), toString: () => diagnostics };
  // asc reads the real files under baseDir here, resolving the package import in node_modules.
  const result = await asc.main(["plugin.ts", "--outFile", "out.wasm", "--baseDir", project], {
    writeFile: (name: string, contents: Uint8Array | string) => {
      if (name.endsWith("out.wasm") && typeof contents !== "string") wasm = contents;
    },
    stdout: stream,
    stderr: stream,
  });
  assert.not.ok(result.error, `${result.error?.message}\n${diagnostics}`);
  assert.ok(wasm, "asc wrote the module");
  const imports = WebAssembly.Module.imports(new WebAssembly.Module(wasm as Uint8Array<ArrayBuffer>)).map((i) => `${i.module}.${i.name}`);
  assert.ok(imports.includes("soch.vector_put") && imports.includes("soch.vector_search"), imports.join(", "));
});

test.run();
