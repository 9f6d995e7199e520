/**
 * `wasm-sandbox inspect FILE.wasm`: imports grouped by namespace with the
 * capability each needs, exports, memory and table limits.
 *
 * @module
 */
import { SandboxError } from "../errors.ts";
import { loadSource } from "../module/source.ts";
import { hostPlatform } from "../platform/host_platform.ts";
import { defaultSandboxConfig } from "../config.ts";
import { reportModule } from "../module/report.ts";
import type { ModuleReport } from "../module/report.ts";
import { parseArgs } from "./args.ts";
import type { Terminal } from "./terminal.ts";

/** Prints the report (or JSON with `--json`); returns the exit code. */
export async function inspectCommand(argv: readonly string[], terminal: Terminal): Promise<number> {
  const args = parseArgs(argv, { json: { kind: "boolean" } });
  const file = args.positionals[0];
  if (file === undefined || args.positionals.length > 1) {
    throw new SandboxError("InvalidArgument", "inspect takes one .wasm file: wasm-sandbox inspect [--json] FILE.wasm");
  }
  const { fs } = await hostPlatform();
  const loaded = await loadSource(file, { maxBytes: defaultSandboxConfig().maxModuleBytes, fs });
  if (loaded.kind !== "bytes") throw new SandboxError("InvalidArgument", "inspect needs module bytes");
  const report = reportModule(loaded.bytes);
  await terminal.writeOut(args.flags.get("json") ? JSON.stringify(report, null, 2) + "\n" : formatReport(file, report));
  return 0;
}

function limits(min: number, max: number | undefined, unit: string): string {
  return `min ${min} ${unit}, max ${max === undefined ? "none declared" : `${max} ${unit}`}`;
}

function formatReport(file: string, report: ModuleReport): string {
  const out: string[] = [`${file}: ${report.byteLength} bytes${report.hasStart ? ", has a start function" : ""}`];
  out.push("", "imports:");
  const namespaces = Object.keys(report.imports);
  if (namespaces.length === 0) out.push("  (none)");
  for (const ns of namespaces) {
    out.push(`  ${ns}`);
    for (const imp of report.imports[ns]) out.push(`    ${imp.kind.padEnd(6)} ${imp.name.padEnd(28)} needs ${imp.capability}`);
  }
  out.push("", "exports:");
  if (report.exports.length === 0) out.push("  (none)");
  for (const exp of report.exports) out.push(`  ${exp.kind.padEnd(6)} ${exp.name}`);
  out.push("", "memories:");
  if (report.memories.length === 0) out.push("  (none)");
  for (const m of report.memories) {
    out.push(`  ${m.imported ? "imported" : "defined "} ${limits(m.min, m.max, "pages")}${m.shared ? ", shared" : ""}${m.memory64 ? ", 64-bit" : ""}`);
  }
  out.push("", "tables:");
  if (report.tables.length === 0) out.push("  (none)");
  for (const t of report.tables) out.push(`  ${t.imported ? "imported" : "defined "} ${t.elementType} ${limits(t.min, t.max, "elements")}`);
  return out.join("\n") + "\n";
}
