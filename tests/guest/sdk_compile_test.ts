// Compiles every example plugin under guest/examples/ with asc and checks
// that it imports exactly the ABI functions it should, with the ABI's
// signatures (docs/ABI.md).
import { test } from "uvu";
import * as assert from "uvu/assert";
import { readdirSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { summarizeModule } from "../../lib/wasm/module_summary.ts";
import { compileGuestFile } from "../_helpers/assemblyscript.ts";

/** Every function of the guest ABI, as "params->results". */
const ABI_SIGNATURES: Record<string, string> = {
  "soch.soch_read": "i32,i32,i32,i32->i64",
  "soch.soch_write": "i32,i32,i32,i32->i64",
  "soch.vector_search": "i32,i32,i32,i32,i32->i64",
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

test.run();
