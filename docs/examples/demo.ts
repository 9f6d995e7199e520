// `npm run demo`: builds the example plugins from guest/examples with the
// AssemblyScript compiler, then runs them through the wasm-sandbox CLI:
// a WASI command, a soch counter with capabilities and an audit log, a
// refused capability, and the audit chain verified; then, through the
// library, a document index whose guest embeds, stores and searches texts.
import { spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { DefaultHostContextProvider, grant, WasmSandboxRuntime } from "../../mod.ts";

const root = fileURLToPath(new URL("../../", import.meta.url));
const work = mkdtempSync(join(tmpdir(), "wasm-sandbox-demo-"));
const asc = join(root, "node_modules/assemblyscript/bin/asc.js");
const cli = join(root, "cli.ts");

function step(title: string): void {
  console.log(`\n\x1b[1m== ${title}\x1b[0m`);
}

function compile(example: string, extra: string[]): string {
  const out = join(work, example.replace(/\.ts$/, ".wasm"));
  const result = spawnSync(process.execPath, [asc, join(root, "guest/examples", example), "-O2", "-o", out, ...extra], {
    cwd: root,
    stdio: "inherit",
  });
  if (result.status !== 0) throw new Error(`asc failed for ${example}`);
  return out;
}

function sandbox(args: string[]): number {
  console.log(`$ wasm-sandbox ${args.map((a) => (a.startsWith(work) ? a.slice(work.length + 1) : a)).join(" ")}`);
  const result = spawnSync(process.execPath, ["--import", "tsx", cli, ...args], { cwd: root, stdio: "inherit" });
  console.log(`(exit code ${result.status})`);
  return result.status ?? 1;
}

step("building the example plugins with asc");
const hello = compile("hello_wasi.ts", ["--exportStart", "_start", "--use", "abort=guest/examples/hello_wasi/abortToExit"]);
const counter = compile("kv_counter.ts", ["--exportRuntime"]);

step("a WASI command: argv, stdout and the exit code pass through");
sandbox(["run", "--stats", hello, "--", "from", "the", "sandbox"]);

step("a soch counter: state in a JSON file, every host call in a hash-chained audit log");
const state = join(work, "soch.json");
const audit = join(work, "audit.jsonl");
writeFileSync(state, JSON.stringify({ values: { counter: "41" } }));
const grants = ["--allow", "soch:read,soch:write,sandbox:log", "--soch", state, "--audit", audit];
sandbox(["run", ...grants, "--invoke", "increment", counter]);
sandbox(["run", ...grants, "--invoke", "increment", counter]);

step("capabilities are explicit: without soch:write the plugin does not even load");
sandbox(["run", "--allow", "soch:read,sandbox:log", "--invoke", "increment", counter]);

step("the audit log verifies; any edit would be pinpointed");
sandbox(["audit", "verify", audit]);

step("a document index: the guest embeds each text, stores it (soch_write + vector_put) and searches (vector_search + soch_read)");
const docIndex = compile("doc_index.ts", ["--exportRuntime"]);
await searchDocuments(docIndex);

/** Indexes a few texts through guest/examples/doc_index.ts and prints what two searches find. */
async function searchDocuments(wasmPath: string): Promise<void> {
  const provider = new DefaultHostContextProvider();
  const runtime = new WasmSandboxRuntime({ provider });
  const capabilities = [grant("soch:write"), grant("soch:vector_write"), grant("soch:vector_search"), grant("soch:read")];
  const plugin = await runtime.loadPlugin("doc_index", wasmPath, { capabilities });
  const docs: Record<string, string> = {
    "docs/fuel": "Fuel metering stops an infinite loop: every loop and call spends fuel until it runs out.",
    "docs/audit": "Every host call is recorded in the audit log, a hash chain that verify checks.",
    "docs/wasi": "WASI gives the plugin a virtual filesystem, clocks and stdio behind capabilities.",
    "docs/exec": "sandbox_exec runs a host command under bubblewrap with the network off.",
  };
  for (const [key, text] of Object.entries(docs)) {
    const code = await plugin.call("index", key, text);
    console.log(`index ${key}: ${code === 0 ? "ok" : `error ${code}`}`);
  }
  for (const query of ["how is an infinite loop stopped", "the audit log hash chain", "which host command runs"]) {
    const ptr = (await plugin.call("search", query, 2)) as number;
    if (ptr === 0) {
      console.log(`search "${query}": error ${await plugin.call("lastErrorCode")}`);
      continue;
    }
    console.log(`search "${query}":`);
    const hits = JSON.parse(plugin.memory.readAssemblyScriptString(ptr)) as Array<{ key: string; score: number; text: string }>;
    for (const hit of hits) console.log(`  ${hit.score.toFixed(3)}  ${hit.key}  ${hit.text}`);
  }
  const counts = new Map<string, number>();
  for (const event of runtime.audit.events().events) counts.set(event.function, (counts.get(event.function) ?? 0) + 1);
  console.log(`audited host calls: ${[...counts].map(([fn, n]) => `${fn} ×${n}`).join(", ")}`);
}
